package credentials_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
	"github.com/kycgo/kyc/fractalid/credentials/credentialstest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

var fastRetries = option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRetryAfter: time.Second}

// setup starts a fake at a fixed time with one plus+liveness user (German
// citizen, resident in France) and returns a client pointed at it.
func setup(t *testing.T, opts ...credentialstest.Option) (*credentialstest.Server, *kyctest.Clock, *credentials.Client, *credentialstest.Wallet) {
	t.Helper()
	clk := kyctest.NewClock(time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC))
	srv := credentialstest.NewServer(t, append([]credentialstest.Option{credentialstest.WithClock(clk.Now)}, opts...)...)
	w := credentialstest.NewWallet(t)
	srv.AddUser(credentialstest.User{
		Wallet: w.Address(), Level: fractalid.ParseLevel("plus+liveness+wallet-eth"),
		Citizenship: []credentials.Country{"DE"}, Residency: []credentials.Country{"FR"},
		ApprovedAt: clk.Now().Add(-30 * 24 * time.Hour),
	})
	c, err := credentials.NewClient(append(srv.ClientOptions(), option.WithRetryPolicy(fastRetries))...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, clk, c, w
}

func message(t *testing.T, srv *credentialstest.Server, edit func(*credentials.MessageSpec)) string {
	t.Helper()
	spec := srv.MessageSpec(fractalid.ParseLevel("plus+liveness"))
	spec.NotResidentOf = []credentials.Country{"US", "CA"}
	spec.DataAccess = true
	if edit != nil {
		edit(&spec)
	}
	m, err := credentials.BuildMessage(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWholePath: build the message, sign it with the wallet, get the
// proof from the fake, verify it off chain against the fake's signing
// address.
func TestWholePath(t *testing.T) {
	srv, clk, c, w := setup(t)
	msg := message(t, srv, nil)
	p, err := c.GetProof(context.Background(), msg, w.SignMessage(msg), w.Address())
	if err != nil {
		t.Fatal(err)
	}
	if p.Wallet != w.Address() || p.Credential.Raw != "level:plus+liveness;citizenship_not:;residency_not:us,ca" ||
		!p.ValidUntil.Equal(clk.Now().Add(24*time.Hour)) || p.Credential.Level.String() != "plus+liveness" {
		t.Errorf("proof %v, credential %q", p, p.Credential.Raw)
	}
	v, err := credentials.NewVerifier(credentials.WithEnvironmentSigner(srv.Environment()), credentials.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(p, w.Address()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	issued := srv.Issued()
	if len(issued) != 1 || !issued[0].DataAccess || issued[0].ClientID != srv.ClientID() || issued[0].Message != msg {
		t.Errorf("the fake recorded %v", issued)
	}
	// The query carried the message with spaces as %20 and a lower-case hex signature.
	reqs := srv.Requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0].RawQuery, "I%20authorize%20") || !strings.Contains(reqs[0].RawQuery, "plus%2Bliveness") ||
		reqs[0].Path != "/" || reqs[0].Method != http.MethodGet {
		t.Errorf("request %+v", reqs)
	}
}

func TestGetProofChecksTheWalletBeforeSending(t *testing.T) {
	srv, _, c, w := setup(t)
	msg := message(t, srv, nil)
	sig := w.SignMessage(msg)
	// The message changed after signing (a space, a line ending): the
	// signature recovers to another address and no request is sent.
	for _, changed := range []string{
		strings.Replace(msg, "Fake dApp", "Fake  dApp", 1),
		strings.Replace(msg, "United States of America (US), Canada (CA)", "Canada (CA), United States of America (US)", 1),
	} {
		if changed == msg {
			t.Fatal("the message did not change")
		}
		_, err := c.GetProof(context.Background(), changed, sig, w.Address())
		var wm *credentials.WalletMismatchError
		if !errors.As(err, &wm) || wm.FromServer || wm.Got == w.Address() {
			t.Errorf("changed message: %v", err)
		}
	}
	// Another wallet's signature over the right message.
	other := credentialstest.NewWallet(t)
	_, err := c.GetProof(context.Background(), msg, other.SignMessage(msg), w.Address())
	if !errors.Is(err, credentials.ErrWalletMismatch) {
		t.Errorf("other wallet: %v", err)
	}
	if strings.Contains(strings.ToLower(err.Error()), w.Address().Hex()[2:]) || strings.Contains(strings.ToLower(err.Error()), other.Address().Hex()[2:]) {
		t.Errorf("the error prints an address: %v", err)
	}
	// A message in the wrong format.
	_, err = c.GetProof(context.Background(), "I authorize nobody", sig, w.Address())
	if !errors.Is(err, credentials.ErrInvalidMessageSchema) {
		t.Errorf("bad format: %v", err)
	}
	_, err = c.GetProof(context.Background(), msg, sig, credentials.Address{})
	if !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("zero wallet: %v", err)
	}
	if n := srv.Count("", "*"); n != 0 {
		t.Errorf("%d requests sent; refusals before the request must send none", n)
	}
}

// TestGetProofDocumentedErrors reaches every documented code, most of them
// the way the API would answer (the client's local checks are switched
// off to let the bad message through), the rest scripted.
func TestGetProofDocumentedErrors(t *testing.T) {
	srv, _, c, w := setup(t)
	loose, err := credentials.NewClient(append(srv.ClientOptions(), credentials.WithoutMessageCheck())...)
	if err != nil {
		t.Fatal(err)
	}
	good := message(t, srv, nil)
	replace := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	cases := []struct {
		name    string
		client  *credentials.Client
		msg     string
		script  string
		want    error
		status  int
		address bool
	}{
		{name: "basic with residency", client: loose, msg: replace("level plus+liveness", "level basic+liveness"), want: credentials.ErrInvalidConfiguration, status: 400},
		{name: "invalid_client_id", client: c, msg: replace(srv.ClientID(), "0123abc"), want: credentials.ErrInvalidClientID, status: 400},
		{name: "invalid_country", client: loose, msg: replace("(US)", "(QQ)"), want: credentials.ErrInvalidCountry, status: 400},
		{name: "invalid_level", client: loose, msg: replace("plus+liveness", "gold"), want: credentials.ErrInvalidLevel, status: 400},
		{name: "invalid_message_schema", client: loose, msg: replace("I authorize", "I allow"), want: credentials.ErrInvalidMessageSchema, status: 400},
		{name: "user_not_found: level not passed", client: c, msg: message(t, srv, func(s *credentials.MessageSpec) { s.Level = fractalid.ParseLevel("plus+selfie") }), want: credentials.ErrUserNotFound, status: 404, address: true},
		{name: "user_not_found: blocked citizenship", client: c, msg: message(t, srv, func(s *credentials.MessageSpec) { s.NotCitizenOf = []credentials.Country{"AT", "DE"} }), want: credentials.ErrUserNotFound, status: 404, address: true},
		{name: "user_not_found: blocked residency", client: c, msg: message(t, srv, func(s *credentials.MessageSpec) { s.NotResidentOf = []credentials.Country{"FR"} }), want: credentials.ErrUserNotFound, status: 404, address: true},
		{name: "user_not_found: KYB asked of a KYC user", client: c, msg: message(t, srv, func(s *credentials.MessageSpec) { s.Type = credentials.KYB }), want: credentials.ErrUserNotFound, status: 404, address: true},
		{name: "invalid_params (scripted)", client: c, msg: good, script: credentials.CodeInvalidParams, want: credentials.ErrInvalidParams, status: 400},
		{name: "invalid_signature (scripted)", client: c, msg: good, script: credentials.CodeInvalidSignature, want: credentials.ErrInvalidSignature, status: 400},
		{name: "user_pending (scripted)", client: c, msg: good, script: credentials.CodeUserPending, want: credentials.ErrUserPending, status: 404, address: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.script != "" {
				srv.ScriptError(tc.script, 1)
			}
			p, err := tc.client.GetProof(context.Background(), tc.msg, w.SignMessage(tc.msg), w.Address())
			if p != nil || !errors.Is(err, tc.want) {
				t.Fatalf("GetProof = %v, %v; want %v", p, err, tc.want)
			}
			var ce *credentials.Error
			var ae *kyc.APIError
			if !errors.As(err, &ce) || !errors.As(err, &ae) || ae.StatusCode != tc.status {
				t.Fatalf("%v: not an *Error wrapping an *APIError with status %d", err, tc.status)
			}
			if tc.address != (ce.Address == w.Address()) {
				t.Errorf("address in the reply: %v, want %v", !ce.Address.IsZero(), tc.address)
			}
			if tc.status == 404 && !errors.Is(err, kyc.ErrNotFound) || tc.status == 400 && !errors.Is(err, kyc.ErrBadRequest) {
				t.Errorf("%v does not match its status sentinel", err)
			}
			if !strings.Contains(err.Error(), `"`+ce.Code+`"`) || strings.Contains(strings.ToLower(err.Error()+ce.GoString()), w.Address().Hex()[2:]) {
				t.Errorf("Error() = %s", err)
			}
		})
	}
	// A real pending user.
	srv.SetPending(w.Address(), true)
	if _, err := c.GetProof(context.Background(), good, w.SignMessage(good), w.Address()); !errors.Is(err, credentials.ErrUserPending) {
		t.Errorf("pending user: %v", err)
	}
	// An unknown wallet: user_not_found naming that wallet, which is the expected one.
	stranger := credentialstest.NewWallet(t)
	_, err = c.GetProof(context.Background(), good, stranger.SignMessage(good), stranger.Address())
	if !errors.Is(err, credentials.ErrUserNotFound) || errors.Is(err, credentials.ErrWalletMismatch) {
		t.Errorf("unknown wallet: %v", err)
	}
}

// TestGetProofWalletMismatchFromServer: the message was altered on the way
// (here by a client that skips the local check and a fake that recovers
// another address), Fractal answers user_not_found with the address it
// recovered, and the caller sees ErrWalletMismatch as well.
func TestGetProofWalletMismatchFromServer(t *testing.T) {
	srv, _, _, w := setup(t)
	msg := message(t, srv, nil)
	other := credentialstest.NewWallet(t)
	srv.AddUser(credentialstest.User{Wallet: other.Address(), Level: fractalid.ParseLevel("plus+liveness")})
	// A transport that swaps in another wallet's signature stands for a
	// message changed on its way to Fractal.
	srv.ScriptError(credentials.CodeUserNotFound, 1)
	hc := &http.Client{Transport: swapSignature{next: srv.HTTPClient().Transport, sig: other.SignMessage(msg)}}
	c2, err := credentials.NewClient(credentials.WithEnvironment(srv.Environment()), option.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c2.GetProof(context.Background(), msg, w.SignMessage(msg), w.Address())
	var wm *credentials.WalletMismatchError
	if !errors.As(err, &wm) || !wm.FromServer || !errors.Is(err, credentials.ErrUserNotFound) || wm.Got != other.Address() {
		t.Fatalf("404 naming another wallet: %v", err)
	}
	// A 200 for another wallet.
	_, err = c2.GetProof(context.Background(), msg, w.SignMessage(msg), w.Address())
	if !errors.As(err, &wm) || !wm.FromServer || errors.Is(err, credentials.ErrUserNotFound) {
		t.Fatalf("200 for another wallet: %v", err)
	}
}

// swapSignature replaces the signature parameter of every request.
type swapSignature struct {
	next http.RoundTripper
	sig  credentials.Signature
}

func (s swapSignature) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	q := r.URL.Query()
	q.Set("signature", s.sig.Hex())
	r.URL.RawQuery = q.Encode()
	return s.next.RoundTrip(r)
}

func TestGetProofFaults(t *testing.T) {
	srv, _, c, w := setup(t)
	msg := message(t, srv, nil)
	sig := w.SignMessage(msg)
	get := func() (*credentials.Proof, error) { return c.GetProof(context.Background(), msg, sig, w.Address()) }

	srv.InjectFault("GET", "/", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2})
	if p, err := get(); err != nil || p == nil {
		t.Fatalf("after two 503s: %v", err)
	}
	srv.InjectFault("GET", "/", kyctest.Fault{Kind: kyctest.FaultResetAfterRead})
	if _, err := get(); err != nil {
		t.Fatalf("a GET is retried after a reset: %v", err)
	}
	for name, f := range map[string]kyctest.Fault{
		"truncated":      {Kind: kyctest.FaultTruncate, Times: 3},
		"oversized":      {Kind: kyctest.FaultOversize, Size: 2 << 20},
		"HTML 200":       {Kind: kyctest.FaultHTMLError, Status: 200},
		"half a proof":   {Kind: kyctest.FaultStatus, Status: 200, Body: `{"approvedAt":1,"address":"` + w.Address().Checksum() + `"}`},
		"proof is junk":  {Kind: kyctest.FaultStatus, Status: 200, Body: `{"approvedAt":1,"address":"` + w.Address().Checksum() + `","fractalId":"0x1","validUntil":2,"proof":"0x00","credential":"level:plus"}`},
		"HTML 502":       {Kind: kyctest.FaultHTMLError, Times: 3},
		"unknown code":   {Kind: kyctest.FaultStatus, Status: 400, Body: `{"error":"something new"}`},
		"server 500":     {Kind: kyctest.FaultStatus, Status: 500, Body: `{"error":"internal"}`},
		"free-text code": {Kind: kyctest.FaultStatus, Status: 400, Body: `{"error":"` + strings.Repeat("x", 100) + `"}`},
	} {
		t.Run(name, func(t *testing.T) {
			srv.ClearFaults()
			srv.InjectFault("GET", "/", f)
			p, err := get()
			if p != nil || err == nil {
				t.Fatalf("got %v, %v", p, err)
			}
			switch name {
			case "truncated", "half a proof", "proof is junk", "HTML 200":
				if !errors.Is(err, kyc.ErrDecode) {
					t.Errorf("%v is not a decode error", err)
				}
			case "oversized":
				if !errors.Is(err, kyc.ErrResponseTooLarge) {
					t.Errorf("%v", err)
				}
			case "HTML 502":
				if !errors.Is(err, kyc.ErrServer) {
					t.Errorf("%v", err)
				}
			case "unknown code", "free-text code":
				var ce *credentials.Error
				if !errors.As(err, &ce) || !errors.Is(err, kyc.ErrBadRequest) || errors.Is(err, credentials.ErrInvalidSignature) {
					t.Errorf("%v", err)
				}
				if name == "free-text code" && (ce.Code != "" || strings.Contains(err.Error(), "xxxx")) {
					t.Errorf("free text kept: %q %v", ce.Code, err)
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetProof(ctx, msg, sig, w.Address()); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}

func TestNewClientOptions(t *testing.T) {
	c, err := credentials.NewClient()
	if err != nil || c.Environment().URL != credentials.ProductionURL || c.Environment().Signer.Checksum() != credentials.ProductionSignerAddress {
		t.Fatalf("default: %v %v", c, err)
	}
	c, err = credentials.NewClient(option.WithBaseURL(credentials.StagingSandboxURL), credentials.WithEnvironment(credentials.Staging()))
	if err != nil || c.Environment().URL != credentials.StagingSandboxURL || c.Environment().Signer.Checksum() != credentials.StagingSignerAddress {
		t.Fatalf("staging with URL override: %v %v", c, err)
	}
	for name, o := range map[string]option.ClientOption{
		"http URL":      option.WithBaseURL("http://credentials.example.com"),
		"empty URL":     option.WithBaseURL(""),
		"nil client":    option.WithHTTPClient(nil),
		"zero timeout":  option.WithTimeout(0),
		"negative cap":  option.WithMaxResponseBytes(-1),
		"no env URL":    credentials.WithEnvironment(credentials.Environment{}),
		"UA line break": option.WithUserAgent("a\nb"),
	} {
		if _, err := credentials.NewClient(o); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := credentials.Production().Validate(); err != nil {
		t.Error(err)
	}
	if err := (credentials.Environment{URL: "https://x.test"}).Validate(); err == nil {
		t.Error("an environment without a signer validated")
	}
}
