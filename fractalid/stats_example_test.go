package fractalid_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/kycgo/kyc/fractalid"
)

// statsExampleServer stands in for Fractal ID's auth and resource hosts:
// it issues client-credentials tokens and serves the documented examples
// of the three statistics endpoints.
func statsExampleServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("grant_type") != "client_credentials" || r.PostFormValue("scope") != "client.stats:read" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_request"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"example-token","token_type":"Bearer","expires_in":7200,"scope":"client.stats:read"}`)
	})
	serve := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer example-token" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}
	}
	mux.Handle("GET /v2/stats/total-verifications", serve(`{"approved": 55, "contacted": 4, "rejected": 10, "pending": 7}`))
	mux.Handle("GET /v2/stats/country-verifications", serve(`{"US": {"approved": 8, "contacted": 1, "rejected": 2, "pending": 3}, "DK": {"approved": 12}, "RO": {"approved": 3}}`))
	mux.Handle("GET /v2/stats/user-verifications", serve(`[
  {"user_id": "320bfdaa-213e-41fb-8d77-ed98c415f01e", "level": "v1", "credential": "approved"},
  {"user_id": "320bfdaa-213e-41fb-8d77-ed98c415f01e", "level": "light+selfie+wallet", "credential": "pending"},
  {"user_id": "87dd7fcb-5b1a-4c55-9d3e-1f0e2b7c9a10", "level": "basic+liveness", "credential": "expired"}
]`))
	return httptest.NewServer(mux)
}

func ExampleStatsClient_TotalVerifications() {
	srv := statsExampleServer()
	defer srv.Close()

	// Against Fractal ID itself: fractalid.WithEnvironment(fractalid.Staging)
	// (Production is the default) and the app's real client ID and secret.
	stats, err := fractalid.NewStatsClient(
		fractalid.WithCredentials("my-client-id", "my-client-secret"),
		fractalid.WithEnvironment(fractalid.Environment{Name: "example", AuthURL: srv.URL, ResourceURL: srv.URL}),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	totals, err := stats.TotalVerifications(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range totals.Statuses() {
		fmt.Printf("%-9s %d\n", s, totals.Get(s))
	}
	fmt.Println("expired  ", totals.Get(fractalid.StatusExpired)) // left out by the server: 0
	fmt.Println("total    ", totals.Total())

	byCountry, err := stats.CountryVerifications(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("DK approved", byCountry["DK"].Get(fractalid.StatusApproved), "pending", byCountry["DK"].Get(fractalid.StatusPending))
	// Output:
	// approved  55
	// rejected  10
	// pending   7
	// contacted 4
	// expired   0
	// total     76
	// DK approved 12 pending 0
}
