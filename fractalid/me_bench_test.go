package fractalid

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	jsonv1 "github.com/go-json-experiment/json/v1"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc/option"
)

// Compare the two with:
//
//	go test -run '^$' -bench 'BenchmarkMe' -benchmem -count 6 ./fractalid/
//
// Each reports cpu-ns/op beside ns/op: the process's CPU time per call
// (client and server), steadier than wall time on a loaded machine.
//
// BenchmarkMeRaw is the baseline: plain net/http and encoding/json into the
// same User struct, with the same body over the same loopback server.
// BenchmarkMeRawPlainStruct decodes into plain structs without any custom
// decoding (no Extra maps, no key tracking).

func benchServer(b *testing.B) *httptest.Server {
	body := readFixture(b, "users_me_all_details.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer bench-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkMe(b *testing.B) {
	srv := benchServer(b)
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token", TokenType: "bearer"})
	c, err := NewClient(ts, option.WithBaseURL(srv.URL), option.WithHTTPClient(srv.Client()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		u, err := c.Me(ctx)
		if err != nil || len(u.VerificationCases) != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkMeTraced is BenchmarkMe with tracing on: an OpenTelemetry SDK
// provider that samples every span and exports none (the cost of making
// the call and attempt spans, not of shipping them).
func BenchmarkMeTraced(b *testing.B) {
	srv := benchServer(b)
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token", TokenType: "bearer"})
	tp := sdktrace.NewTracerProvider()
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	c, err := NewClient(ts, option.WithBaseURL(srv.URL), option.WithHTTPClient(srv.Client()), option.WithTracerProvider(tp))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		u, err := c.Me(ctx)
		if err != nil || len(u.VerificationCases) != 1 {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeRaw(b *testing.B) {
	srv := benchServer(b)
	hc := srv.Client()
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/users/me", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer bench-token")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var u User
		err = json.NewDecoder(resp.Body).Decode(&u)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(u.VerificationCases) != 1 {
			b.Fatal(err)
		}
	}
}

// plainUser has User's shape without the custom decoding of User and
// Details (no "phones:", no Extra capture; Date keeps its small
// UnmarshalJSON): close to the floor encoding/json alone gives.
type plainUser struct {
	UID               string
	Emails            []plainEmail
	Phones            []plainPhone
	VerificationCases []plainCase `json:"verification_cases"`
	Wallets           []plainWallet
}

type plainEmail struct{ Address, SourceType string }

type plainPhone struct{ Number string }

type plainWallet struct {
	ID, Address, Currency string
	Verified              bool
}

type plainCase struct {
	ID, Level, Status, Credential string
	JourneyCompleted              bool `json:"journey_completed"`
	Details                       *detailsFields
	Report                        *reportFields
}

// BenchmarkMeRawPlainStruct is the raw baseline decoding into plainUser:
// what the SDK costs over encoding/json with no lenient decoding at all.
func BenchmarkMeRawPlainStruct(b *testing.B) {
	srv := benchServer(b)
	hc := srv.Client()
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/users/me", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer bench-token")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var u plainUser
		err = json.NewDecoder(resp.Body).Decode(&u)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(u.VerificationCases) != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeUser measures decoding alone (the custom UnmarshalJSON
// of User and Details) beside a struct without custom decoding.
func BenchmarkDecodeUser(b *testing.B) {
	body := readFixture(b, "users_me_all_details.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	defer reportCPU(b)()
	for b.Loop() {
		var u User
		if err := json.Unmarshal(body, &u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeUserCore decodes as the client's core does
// (internal/apiclient: encoding/json v2's v1 package, which validates the
// body in one pass and then calls User's own decoder) beside
// BenchmarkDecodeUser, which does it with encoding/json.
func BenchmarkDecodeUserCore(b *testing.B) {
	body := readFixture(b, "users_me_all_details.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	defer reportCPU(b)()
	for b.Loop() {
		var u User
		if err := jsonv1.Unmarshal(body, &u); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeUserPlainStruct(b *testing.B) {
	body := readFixture(b, "users_me_all_details.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	defer reportCPU(b)()
	for b.Loop() {
		var u plainUser
		if err := json.Unmarshal(body, &u); err != nil {
			b.Fatal(err)
		}
	}
}
