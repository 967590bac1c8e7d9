package credentialstest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
	"github.com/kycgo/kyc/fractalid/credentials/credentialstest"
)

// get sends a raw request, as a browser front end would, and decodes the reply.
func get(t *testing.T, srv *credentialstest.Server, query string) (int, map[string]any) {
	t.Helper()
	resp, err := srv.HTTPClient().Get(srv.URL() + "/?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, m
}

// TestRawRequests checks the fake the way the API documents itself,
// without the SDK's client: parameters, error bodies, the 404's address,
// a 200 body in the documented shape, form-encoded spaces.
func TestRawRequests(t *testing.T) {
	clk := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := credentialstest.NewServer(t, credentialstest.WithApplication("Defistarter", "dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd"),
		credentialstest.WithClock(func() time.Time { return clk }), credentialstest.WithProofTTL(time.Hour))
	w := credentialstest.NewWallet(t)
	u := srv.AddUser(credentialstest.User{Wallet: w.Address(), Level: fractalid.ParseLevel("plus+liveness")})
	msg, err := credentials.BuildMessage(srv.MessageSpec(fractalid.ParseLevel("plus+liveness")))
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"message": {msg}, "signature": {w.SignMessage(msg).Hex()}}.Encode() // spaces as "+"
	status, body := get(t, srv, q)
	if status != 200 || body["address"] != w.Address().Checksum() || body["fractalId"] != u.FractalID ||
		body["validUntil"] != float64(clk.Add(time.Hour).Unix()) || body["credential"] != "level:plus+liveness;citizenship_not:;residency_not:" {
		t.Fatalf("%d %v", status, body)
	}
	if status, body := get(t, srv, "message="+url.QueryEscape(msg)); status != 400 || body["error"] != "invalid_params" {
		t.Errorf("no signature: %d %v", status, body)
	}
	if status, body := get(t, srv, "message="+url.QueryEscape(msg)+"&signature=0x1234"); status != 400 || body["error"] != "invalid_signature" {
		t.Errorf("short signature: %d %v", status, body)
	}
	stranger := credentialstest.NewWallet(t)
	status, body = get(t, srv, "message="+url.QueryEscape(msg)+"&signature="+stranger.SignMessage(msg).Hex())
	if status != 404 || body["error"] != "user_not_found" || body["address"] != stranger.Address().Checksum() {
		t.Errorf("unknown wallet: %d %v", status, body)
	}
	resp, err := srv.HTTPClient().Post(srv.URL()+"/", "text/plain", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	if got := srv.Count("GET", "/"); got != 4 {
		t.Errorf("Count = %d", got)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", srv, w, u), srv.Issued()[0].String()} {
		if strings.Contains(strings.ToLower(s), w.Address().Hex()[2:]) || strings.Contains(s, u.FractalID) {
			t.Errorf("printed personal data: %s", s)
		}
	}
}

func TestOptions(t *testing.T) {
	k, err := credentials.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv := credentialstest.NewServer(t, credentialstest.WithSigningKey(k), credentialstest.WithTLS())
	if srv.SignerAddress() != k.Address() || !strings.HasPrefix(srv.URL(), "https://") || srv.ApplicationName() != credentialstest.DefaultApplicationName || len(srv.ClientID()) != 64 {
		t.Errorf("server %v", srv)
	}
	for name, o := range map[string]credentialstest.Option{
		"empty app":    credentialstest.WithApplication("", "x"),
		"nil key":      credentialstest.WithSigningKey(nil),
		"short TTL":    credentialstest.WithProofTTL(time.Millisecond),
		"nil clock":    credentialstest.WithClock(nil),
		"twice the id": func() credentialstest.Option { return nil }(),
	} {
		if o == nil {
			continue
		}
		if _, err := credentialstest.Start(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := credentialstest.Start(credentialstest.WithApplication("a", "x"), credentialstest.WithApplication("b", "x")); err == nil {
		t.Error("a client id registered twice")
	}
	s, err := credentialstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
