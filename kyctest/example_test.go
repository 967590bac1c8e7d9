package kyctest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// A 503 on a read: the client retries it and the call succeeds; the
// request log shows both attempts. Every fake of the module embeds
// kyctest.Fake, so the same lines work with any of them.
func ExampleFault() {
	t := new(testing.T) // in a real test: the test's t

	srv := ekycadmintest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	srv.AddUser(ekycadmintest.ValidUser("user-1"))
	client := srv.Client() // retries a GET twice, with millisecond waits
	path := ekycadmintest.StatusPath("user-1")
	srv.InjectFault(http.MethodGet, path, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})

	var resp kyc.Response
	st, err := client.UserStatus(context.Background(), "user-1", option.WithResponseInto(&resp))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sessions:", st.TotalSessions, "attempts:", resp.Attempts, "faults left:", srv.PendingFaults())
	for _, r := range srv.Requests() {
		if r.Path == path {
			fmt.Println(r)
		}
	}
	// Output:
	// sessions: 0 attempts: 2 faults left: 0
	// GET /ekyc/admin/user-1/status -> 503 (status)
	// GET /ekyc/admin/user-1/status -> 200
}

// A fault that outlasts the retries: the client gives up with the
// server's last reply as a typed error, after one attempt per request in
// the log.
func ExampleFault_retriesExhausted() {
	t := new(testing.T) // in a real test: the test's t

	srv := ekycadmintest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	srv.AddUser(ekycadmintest.ValidUser("user-1"))
	client := srv.Client()
	path := ekycadmintest.StatusPath("user-1")
	srv.InjectFault(http.MethodGet, path, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 5})

	_, err := client.UserStatus(context.Background(), "user-1")
	var apiErr *kyc.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, "attempts:", apiErr.Attempts, "server error:", errors.Is(err, kyc.ErrServer))
	}
	fmt.Println("requests:", srv.Count(http.MethodGet, path), "faults left:", srv.PendingFaults())
	// Output:
	// 503 attempts: 3 server error: true
	// requests: 3 faults left: 2
}
