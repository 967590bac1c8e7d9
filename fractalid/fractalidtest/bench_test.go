package fractalidtest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

// BenchmarkUsersMe measures a GET /v2/users/me against the fake (token
// check, scope filtering, JSON encoding, fault and log layers) ...
func BenchmarkUsersMe(b *testing.B) {
	srv := fractalidtest.NewServer(b)
	u := srv.AddUser(fractalidtest.User{
		Emails:  []fractalidtest.Email{{Address: "a@example.com"}},
		Details: map[string]any{"full_name": "A B", "date_of_birth": "1990-01-01"},
	})
	_ = u.SetCase("basic", fractalidtest.Approved)
	tok, err := srv.IssueToken(u.ID(), fractalid.ScopeUID, fractalid.ScopeContact, fractalid.ScopeBasic, fractalid.ScopeBasicDetails)
	if err != nil {
		b.Fatal(err)
	}
	benchGET(b, srv.HTTPClient(), srv.URL()+"/v2/users/me", tok.AccessToken, srv.ResetLog)
}

// ... beside the raw baseline: an httptest server answering the same body
// from a constant.
func BenchmarkUsersMeRawBaseline(b *testing.B) {
	body := []byte(`{"uid":"6f1c8a43-2d4e-4a51-9d7e-3c1b2a0f9e88","emails":[{"address":"a@example.com","source_type":"registration"}],"phones":[],` +
		`"verification_cases":[{"id":"0b7c","level":"basic","journey_completed":true,"status":"done","credential":"approved",` +
		`"details":{"date_of_birth":"1990-01-01","full_name":"A B"}}]}`)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(ts.Close)
	benchGET(b, ts.Client(), ts.URL+"/v2/users/me", "token", func() {})
}

// benchGET runs the GET loop; resetLog is called every 1024 requests so
// that the fake's request log does not grow without bound.
func benchGET(b *testing.B, hc *http.Client, url, token string, resetLog func()) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n++; n%1024 == 0 {
			resetLog()
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
