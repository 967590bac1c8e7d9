// Command ekyc-admin is a small operator's tool for the EKYC admin sessions
// API, built on package ekycadmin. It shows the client-credentials setup,
// paging through every user with the AllSessions iterator (with progress on
// stderr), creating a verification session and reading a user's status and
// final outcome, and how the typed errors read when something is refused.
//
// Usage:
//
//	ekyc-admin [global flags] list   [-quiet]
//	ekyc-admin [global flags] create -user ID [-callback URL]
//	ekyc-admin [global flags] status -user ID [-reason]
//
// Global flags (accepted before or after the subcommand):
//
//	-base-url URL      API base URL (default $KYC_EKYC_BASE_URL, else ekycadmin.DefaultBaseURL)
//	-token-url URL     token endpoint (default $KYC_EKYC_TOKEN_URL, else ekycadmin.DefaultTokenURL)
//	-output json|table output format (default json)
//	-page-size N       users per page for list (default 1024)
//
// The credential comes from the environment, never from a flag (flags end
// up in shell history and process listings):
//
//	KYC_EKYC_CLIENT_ID      service credential's client id (required)
//	KYC_EKYC_CLIENT_SECRET  its secret (required)
//	KYC_EKYC_TOKEN_URL      token endpoint (optional)
//	KYC_EKYC_BASE_URL       API base URL (optional)
//	KYC_EKYC_API_KEY        X-API-Key, for gateways that ask for one (optional)
//
// They are read and validated with package integrations (LoadEnv and
// EKYCCredential.Client), looking at the KYC_EKYC_* variables only;
// -base-url and -token-url take the place of their variables. An invalid
// setting is reported by field and variable, never by value.
//
// # Output
//
// With -output json every command writes JSON lines: one JSON object per
// line. list writes one line per user as it is fetched, so a listing of any
// size streams (pipe it to jq, or count users with wc -l); create and status
// write a single line. With -output table the output is an aligned table
// (text/tabwriter); list writes it one page at a time, so only one page is
// held, and pads each column to the widest value seen so far, so the pages
// line up.
// Session tokens are never printed; create prints the onboarding URL
// because that is what the user has to be sent to.
//
// Progress of list goes to stderr ("fetched 2048 sessions of 2048
// users..."), at most once per page and twice a second, then a final count;
// -quiet turns it off.
//
// # Exit status
//
// 0 on success, 1 when the API or the token endpoint refused or failed (the
// typed error is printed, with a hint for permission and credential
// problems; never a secret), 2 for a usage or configuration error.
//
// # Try it
//
//	export KYC_EKYC_CLIENT_ID=... KYC_EKYC_CLIENT_SECRET=...
//	go run ./examples/ekyc-admin list -output table
//	go run ./examples/ekyc-admin create -user 5f0c... -callback https://example.com/done
//	go run ./examples/ekyc-admin status -user 5f0c...
//
// The tests (main_test.go) run the same commands against the in-process
// fake of package ekycadmintest.
package main
