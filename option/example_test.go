package option_test

import (
	"context"
	"fmt"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/option"
)

// One list holds the client's own options and the shared ones; per-call
// options change one call only.
func Example() {
	srv, err := ekycadmintest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	srv.AddUser(ekycadmintest.ValidUser("user-1"))
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)

	c, err := ekycadmin.NewClient(
		ekycadmin.WithCredentials(id, secret), // ekycadmin's own option
		ekycadmin.WithTokenURL(srv.TokenURL()),
		option.WithBaseURL(srv.BaseURL()), // shared options
		option.WithTimeout(10*time.Second),
	)
	if err != nil {
		panic(err)
	}

	// This call only: a longer timeout, no retries, and the reply's
	// metadata for a support ticket.
	var resp kyc.Response
	status, err := c.UserStatus(context.Background(), "user-1",
		option.WithTimeout(time.Minute), option.NoRetries(), option.WithResponseInto(&resp))
	if err != nil {
		panic(err)
	}
	fmt.Println(status.TotalSessions, resp.StatusCode, resp.Attempts, resp.RequestID != "")
	// Output: 0 200 1 true
}

// Tracing: a span per call, named after the operation, and a child span
// per HTTP attempt named after the method and the route template.
func ExampleWithTracerProvider() {
	srv, err := ekycadmintest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	srv.AddUser(ekycadmintest.ValidUser("user-1"))
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	c, err := ekycadmin.NewClient(ekycadmin.WithCredentials(id, secret), ekycadmin.WithTokenURL(srv.TokenURL()),
		option.WithBaseURL(srv.BaseURL()), option.WithTracerProvider(tp))
	if err != nil {
		panic(err)
	}
	if _, err := c.UserStatus(context.Background(), "user-1"); err != nil {
		panic(err)
	}
	for _, s := range rec.Ended() {
		fmt.Println(s.Name())
	}
	// Output:
	// GET /ekyc/admin/{userId}/status
	// ekycadmin.UserStatus
}
