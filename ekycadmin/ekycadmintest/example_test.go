package ekycadmintest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// A user's test in three lines of set-up: a fake, a verifiable user, a
// client with every permission. The test then plays the verification
// provider with Decide.
func Example() {
	t := new(testing.T) // in a real test: the test's t
	ctx := context.Background()

	srv := ekycadmintest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	srv.AddUser(ekycadmintest.ValidUser("user-1"))
	client := srv.Client()

	s, err := client.CreateSession(ctx, "user-1", &ekycadmin.CreateSessionRequest{Callback: "https://example.com/done"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("new session:", s.Status)

	_ = srv.Decide("user-1", s.ID, ekycadmin.StatusApproved, "")
	st, _ := client.UserStatus(ctx, "user-1")
	fmt.Println("outcome:", st.Outcome(), "approved:", st.Outcome().IsApproved(), "sessions left:", st.TotalSessions)
	// Output:
	// new session: created
	// outcome: approved approved: true sessions left: 0
}

// Credentials mints a service credential with chosen permissions; wiring
// the client by hand takes two lines.
func ExampleServer_Credentials() {
	t := new(testing.T) // in a real test: the test's t

	srv := ekycadmintest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	id, secret := srv.Credentials(ekycadmintest.PermissionGet)
	client, _ := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()),
		ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, secret))

	_, err := client.CreateSession(context.Background(), "user-1", nil)
	var apiErr *kyc.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.MissingPermissions, errors.Is(err, kyc.ErrForbidden))
	}
	// Output:
	// 401 [ekyc.session.create] true
}

// The reply to a create is lost after the server made the session: the
// client reports an error (it never retries a create that reached the
// server) and the session exists.
func ExampleServer_InjectFault() {
	t := new(testing.T) // in a real test: the test's t

	srv := ekycadmintest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	srv.AddUser(ekycadmintest.ValidUser("user-1"))
	client := srv.Client()
	srv.InjectFault("POST", ekycadmintest.SessionsPath("user-1"), kyctest.Fault{Kind: kyctest.FaultResetAfterRead})

	_, err := client.CreateSession(context.Background(), "user-1", nil)
	var te *kyc.TransportError
	fmt.Println("transport error:", errors.As(err, &te))
	fmt.Println("requests:", srv.Count("POST", ekycadmintest.SessionsPath("user-1")), "sessions:", srv.SessionCount("user-1"))
	// Output:
	// transport error: true
	// requests: 1 sessions: 1
}

// The server refuses identities it cannot verify with the same 400 reasons
// as the real API.
func ExampleServer_AddUser() {
	t := new(testing.T) // in a real test: the test's t

	srv := ekycadmintest.NewServer(t)
	defer srv.Close()                                               // t.Cleanup closes it in a real test
	srv.AddUser(ekycadmintest.User{ID: "user-2", GivenName: "Ada"}) // no family name, no birth date
	client := srv.Client()

	_, err := client.CreateSession(context.Background(), "user-2", nil)
	var apiErr *kyc.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	fmt.Println(errors.Is(err, ekycadmin.ErrInvalidName))
	// Output:
	// 400 Person must have a family name.
	// true
}

// Events move a session between the status buckets; a final decision
// removes it and sets the verdict.
func ExampleServer_SetSessionStatus() {
	t := new(testing.T) // in a real test: the test's t

	srv := ekycadmintest.NewServer(t)
	defer srv.Close() // t.Cleanup closes it in a real test
	id := srv.AddSession("user-3", ekycadmin.StatusCreated)
	client := srv.Client()

	_ = srv.SetSessionStatus("user-3", id, ekycadmin.StatusSubmitted)
	st, _ := client.UserStatus(context.Background(), "user-3")
	fmt.Println(st.Submitted != nil, st.TotalSessions, st.Outcome() == "")

	_ = srv.Decide("user-3", id, ekycadmin.StatusDeclined, "")
	st, _ = client.UserStatus(context.Background(), "user-3")
	fmt.Println(st.Submitted != nil, st.TotalSessions, st.Outcome().IsDeclined())
	// Output:
	// true 1 true
	// false 0 true
}
