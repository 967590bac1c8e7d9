// Command export-csv writes an application's user verifications from
// Fractal ID's statistics API (GET /v2/stats/user-verifications) to a CSV
// file, built on fractalid.NewStatsClient and the CSV exporter of package
// fractalid. It shows the client-credentials statistics client and the
// formula-injection guard of the export: a cell that a spreadsheet would
// run as a formula (starting with =, +, -, @, a tab or a carriage return)
// is written with a leading single quote.
//
// Usage:
//
//	export-csv [-o file.csv] [-level-columns] [-columns basic,plus,liveness] [-timeout 2m]
//
// Flags:
//
//	-o FILE          output file (default "-": stdout). The file is written
//	                 under a temporary name and renamed when complete, with
//	                 mode 0600: nothing is left behind when the export fails.
//	-level-columns   add a yes/empty column for every level and add-on found
//	                 in the rows (they must all be known before the header,
//	                 so this goes through fractalid.ExportCSV)
//	-columns LIST    add yes/empty columns for these levels or add-ons, in
//	                 this order; rows are streamed through
//	                 fractalid.NewCSVExporter
//	-timeout D       timeout of each HTTP attempt, body included (default 2m:
//	                 the list is not paginated)
//
// Without -level-columns every row is written through the streaming
// exporter, one record at a time, without a second copy of the rows.
//
// The application's credentials come from the environment (the names
// package integrations reads):
//
//	KYC_FRACTAL_CLIENT_ID      client id (required)
//	KYC_FRACTAL_CLIENT_SECRET  client secret (required)
//	KYC_FRACTAL_ENVIRONMENT    "production" (default) or "staging"
//	KYC_FRACTAL_AUTH_URL       override of the auth host (token endpoint)
//	KYC_FRACTAL_RESOURCE_URL   override of the resource host (statistics)
//
// The token is requested with the client_credentials grant and scope
// client.stats:read.
//
// Exit status: 0 on success, 1 when the API, the token endpoint or the
// output file failed (the typed error is printed, never a secret), 2 for a
// usage or configuration error.
//
// Try it:
//
//	export KYC_FRACTAL_CLIENT_ID=... KYC_FRACTAL_CLIENT_SECRET=... KYC_FRACTAL_ENVIRONMENT=staging
//	go run ./examples/export-csv -o verifications.csv -level-columns
//
// The tests (main_test.go) run it against the in-process fake of package
// fractalidtest.
package main
