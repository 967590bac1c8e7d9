package fractalid_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/kycgo/kyc/fractalid"
)

func ExampleExportCSV() {
	rows := []fractalid.UserVerification{
		{UserID: "320bfdaa-213e-41fb-8d77-ed98c415f01e", RawLevel: "basic+liveness", Status: fractalid.StatusApproved},
		{UserID: "87dd7fcb-5b1a-4c55-9d3e-1f0e2b7c9a10", RawLevel: "plus+selfie", Status: fractalid.StatusPending},
		// A value a spreadsheet would run as a formula is written as text.
		{UserID: "=HYPERLINK(\"http://example.invalid\")", RawLevel: "basic", Status: "@SUM(1,2)"},
	}
	err := fractalid.ExportCSV(os.Stdout, rows,
		fractalid.WithItemColumns(fractalid.LevelBasic, fractalid.LevelPlus, fractalid.AddOnLiveness, fractalid.AddOnSelfie))
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// user_id,level,status,basic,plus,liveness,selfie
	// 320bfdaa-213e-41fb-8d77-ed98c415f01e,basic+liveness,approved,yes,,yes,
	// 87dd7fcb-5b1a-4c55-9d3e-1f0e2b7c9a10,plus+selfie,pending,,yes,,yes
	// "'=HYPERLINK(""http://example.invalid"")",basic,"'@SUM(1,2)",yes,,,
}

func ExampleStatsClient_ExportUserVerifications() {
	srv := statsExampleServer()
	defer srv.Close()

	stats, err := fractalid.NewStatsClient(
		fractalid.WithCredentials("my-client-id", "my-client-secret"),
		fractalid.WithEnvironment(fractalid.Environment{Name: "example", AuthURL: srv.URL, ResourceURL: srv.URL}),
	)
	if err != nil {
		log.Fatal(err)
	}
	// A file in a real job: f, err := os.Create("users.csv"), then f.Close().
	if err := stats.ExportUserVerifications(context.Background(), os.Stdout, []fractalid.ExportOption{fractalid.WithLevelColumns()}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("done")
	// Output:
	// user_id,level,status,basic,v1,light,liveness,selfie,wallet
	// 320bfdaa-213e-41fb-8d77-ed98c415f01e,v1,approved,,yes,,,,
	// 320bfdaa-213e-41fb-8d77-ed98c415f01e,light+selfie+wallet,pending,,,yes,,yes,yes
	// 87dd7fcb-5b1a-4c55-9d3e-1f0e2b7c9a10,basic+liveness,expired,yes,,,yes,,
	// done
}
