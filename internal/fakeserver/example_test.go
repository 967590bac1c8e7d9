package fakeserver_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/kycgo/kyc/internal/fakeserver"
	"github.com/kycgo/kyc/kyctest"
)

// A fake built on fakeserver: its handler, then faults a test injects.
func Example() {
	t := &testing.T{} // in a real test, the *testing.T of the test
	srv := fakeserver.New(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fakeserver.WriteJSON(w, http.StatusOK, map[string]string{"ok": "yes"})
	}))
	defer srv.Close()

	srv.InjectFault("GET", "/v1/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1"})
	for range 2 {
		resp, err := srv.Client().Get(srv.URL() + "/v1/things")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Printf("%d retry-after=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	fmt.Println(srv.Count("GET", "/v1/*"), srv.Requests()[0])
	// Output:
	// 429 retry-after="1"
	// 200 retry-after=""
	// 2 GET /v1/things -> 429 (status)
}
