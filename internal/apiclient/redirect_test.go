package apiclient

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc"
)

// Secrets the redirect tests look for on the wrong side of a redirect.
const (
	rdAPIKey     = "rd-api-key-5be310"
	rdToken      = "rd-bearer-9e2f36"
	rdCallSecret = "rd-call-header-77aa"
	rdBody       = `{"loginHint":"rd.person@example.test"}`
	rdClientID   = "rd-client-id"
	rdClientSec  = "rd-client-secret-31c7"
)

// seen is one request a test server received.
type seen struct {
	method, host, path string
	header             http.Header
	body               string
}

// recServer is a loopback server that records every request and, on
// /start and /token, answers with a redirect to redirect (when set); any
// other path answers 200 with a token-shaped JSON body.
type recServer struct {
	mu       sync.Mutex
	reqs     []seen
	status   int    // redirect status
	redirect string // Location
}

func (s *recServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, seen{r.Method, r.Host, r.URL.Path, r.Header.Clone(), string(b)})
	status, loc := s.status, s.redirect
	s.mu.Unlock()
	if loc != "" && (r.URL.Path == "/start" || r.URL.Path == "/token") {
		w.Header().Set("Location", loc)
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"access_token":"issued-token","token_type":"Bearer","expires_in":3600}`)
}

func (s *recServer) set(status int, loc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.redirect, s.reqs = status, loc, nil
}

func (s *recServer) all() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// landed returns the requests made to paths other than /start and /token.
func (s *recServer) landed() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seen
	for _, r := range s.reqs {
		if r.path != "/start" && r.path != "/token" {
			out = append(out, r)
		}
	}
	return out
}

// dualServer serves one handler with TLS and in plain http on the same
// loopback port, telling them apart by the first byte of a connection:
// an https origin and an http origin that differ only by scheme.
type dualServer struct {
	ln        net.Listener
	tls, http *httptest.Server
	done      chan struct{}
}

type chanListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}
func (l *chanListener) Close() error   { l.once.Do(func() { close(l.closed) }); return nil }
func (l *chanListener) Addr() net.Addr { return l.addr }

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func newDualServer(t *testing.T, h http.Handler) *dualServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsSide := &chanListener{addr: ln.Addr(), conns: make(chan net.Conn), closed: make(chan struct{})}
	plainSide := &chanListener{addr: ln.Addr(), conns: make(chan net.Conn), closed: make(chan struct{})}
	d := &dualServer{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		var wg sync.WaitGroup
		defer wg.Wait()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				br := bufio.NewReader(c)
				first, err := br.Peek(1)
				if err != nil {
					_ = c.Close()
					return
				}
				side := plainSide
				if first[0] == 0x16 { // a TLS handshake record
					side = tlsSide
				}
				select {
				case side.conns <- &peekedConn{Conn: c, r: br}:
				case <-side.closed:
					_ = c.Close()
				}
			}()
		}
	}()
	d.tls = httptest.NewUnstartedServer(h)
	_ = d.tls.Listener.Close()
	d.tls.Listener = tlsSide
	d.tls.StartTLS()
	d.http = httptest.NewUnstartedServer(h)
	_ = d.http.Listener.Close()
	d.http.Listener = plainSide
	d.http.Start()
	t.Cleanup(func() {
		d.tls.Close()
		d.http.Close()
		_ = ln.Close()
		<-d.done
	})
	return d
}

// credKind is one way a client carries a secret.
type credKind struct {
	name   string
	opts   []Option
	header string // the header that carries it
	value  string
}

func staticToken() oauth2.TokenSource {
	return TokenSourceFunc(func() (*oauth2.Token, error) { return &oauth2.Token{AccessToken: rdToken}, nil })
}

func credKinds() []credKind {
	static := staticToken()
	return []credKind{
		{"X-API-Key (ekycadmin)", []Option{WithHeader("X-API-Key", rdAPIKey)}, "X-Api-Key", rdAPIKey},
		{"x-api-key (incode)", []Option{WithHeader("x-api-key", rdAPIKey), WithHeader("api-version", "1.0")}, "X-Api-Key", rdAPIKey},
		{"Bearer token", []Option{WithTokenSource(static)}, "Authorization", "Bearer " + rdToken},
	}
}

// call sends GET /start, or POST /start with a JSON body, through c.
func call(ctx context.Context, c *Client, method string) error {
	req := &Request{Method: method, Path: "/start", Header: http.Header{"X-Call-Secret": {rdCallSecret}}}
	if method == http.MethodPost {
		req.Body = strings.NewReader(rdBody)
		req.Header.Set("Content-Type", "application/json")
	}
	_, err := c.Do(ctx, req, nil)
	return err
}

// leaks lists the secrets a request carries.
func leaks(r seen) []string {
	var out []string
	for k, vs := range r.header {
		for _, v := range vs {
			if strings.Contains(v, "rd-") || strings.Contains(v, "rd.person") || strings.Contains(v, "rd%2Eperson") {
				out = append(out, k)
			}
		}
	}
	if r.body != "" {
		out = append(out, "body")
	}
	return out
}

// TestRedirectToOtherOriginRefused: for every kind of credential, a 302
// (GET) or 307 (POST with a body) to another port, another host name of
// the same machine, or plain http on the same host and port is refused
// with a *kyc.RedirectError naming the status and the target host, and the
// target receives nothing.
func TestRedirectToOtherOriginRefused(t *testing.T) {
	api := &recServer{}
	other := &recServer{}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	dual := newDualServer(t, api)
	_, apiPort, _ := net.SplitHostPort(apiSrv.Listener.Addr().String())
	_, dualPort, _ := net.SplitHostPort(dual.ln.Addr().String())

	targets := []struct {
		name, base, target, wantHost, reason string
		hc                                   *http.Client
		target_                              *recServer
	}{
		{"other port", apiSrv.URL, otherSrv.URL + "/landed?email=rd.person@example.test", otherSrv.Listener.Addr().String(), kyc.RedirectOtherOrigin, apiSrv.Client(), other},
		{"other host", apiSrv.URL, "http://localhost:" + apiPort + "/landed?email=rd.person@example.test", "localhost:" + apiPort, kyc.RedirectOtherOrigin, apiSrv.Client(), api},
		{"https to http", dual.tls.URL, "http://127.0.0.1:" + dualPort + "/landed?email=rd.person@example.test", "127.0.0.1:" + dualPort, kyc.RedirectDowngrade, dual.tls.Client(), api},
	}
	for _, tg := range targets {
		for _, kind := range credKinds() {
			for _, rd := range []struct {
				method string
				status int
			}{{http.MethodGet, http.StatusFound}, {http.MethodPost, http.StatusTemporaryRedirect}, {http.MethodGet, http.StatusMovedPermanently}, {http.MethodPost, http.StatusPermanentRedirect}} {
				t.Run(tg.name+"/"+kind.name+"/"+rd.method+" "+http.StatusText(rd.status), func(t *testing.T) {
					api.set(rd.status, tg.target)
					other.set(0, "")
					c, err := New(append([]Option{WithBaseURL(tg.base), WithHTTPClient(&http.Client{Transport: tg.hc.Transport}), WithRetryPolicy(NoRetries)}, kind.opts...)...)
					if err != nil {
						t.Fatal(err)
					}
					err = call(t.Context(), c, rd.method)
					var re *kyc.RedirectError
					if !errors.As(err, &re) || !errors.Is(err, kyc.ErrRedirectRefused) {
						t.Fatalf("error %v (%T), want *RedirectError", err, err)
					}
					if re.StatusCode != rd.status || re.Host != tg.wantHost || re.Method != rd.method || re.Path != "/start" {
						t.Errorf("RedirectError %+v, want status %d host %s", *re, rd.status, tg.wantHost)
					}
					if tg.reason == kyc.RedirectDowngrade && re.Reason != kyc.RedirectDowngrade {
						t.Errorf("reason %q, want %q", re.Reason, kyc.RedirectDowngrade)
					}
					if msg := err.Error(); !strings.Contains(msg, tg.wantHost) || strings.Contains(msg, "email") || strings.Contains(msg, "landed") {
						t.Errorf("Error() = %q: want the target host, never its path or query", msg)
					}
					if got := tg.target_.landed(); len(got) != 0 {
						t.Errorf("the redirect target received %d request(s), carrying %v", len(got), leaks(got[0]))
					}
					// The API itself got the credential on its own origin.
					if reqs := api.all(); len(reqs) == 0 || reqs[0].header.Get(kind.header) != kind.value {
						t.Errorf("the API did not get %s", kind.header)
					}
				})
			}
		}
	}
}

// TestRedirectSameOriginFollowed: a same-origin redirect keeps working,
// with the credentials and, for a 307, the body.
func TestRedirectSameOriginFollowed(t *testing.T) {
	api := &recServer{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	for _, kind := range credKinds() {
		for _, rd := range []struct {
			method string
			status int
			body   string
		}{{http.MethodGet, http.StatusFound, ""}, {http.MethodPost, http.StatusTemporaryRedirect, rdBody}, {http.MethodPost, http.StatusSeeOther, ""}} {
			t.Run(kind.name+"/"+http.StatusText(rd.status), func(t *testing.T) {
				api.set(rd.status, "/landed?x=1")
				c, err := New(append([]Option{WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithRetryPolicy(NoRetries)}, kind.opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				if err := call(t.Context(), c, rd.method); err != nil {
					t.Fatal(err)
				}
				got := api.landed()
				if len(got) != 1 || got[0].header.Get(kind.header) != kind.value || got[0].body != rd.body {
					t.Fatalf("landed %+v, want one request with %s and body %q", got, kind.header, rd.body)
				}
			})
		}
	}
}

// TestRedirectCallerPolicy: a caller's own CheckRedirect decides about
// redirects to other origins, but the SDK's headers never follow, a body
// is never sent to another origin and https never goes to http.
func TestRedirectCallerPolicy(t *testing.T) {
	api := &recServer{}
	other := &recServer{}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	dual := newDualServer(t, api)
	_, dualPort, _ := net.SplitHostPort(dual.ln.Addr().String())
	var consulted int
	follow := func(*http.Request, []*http.Request) error { consulted++; return nil }

	for _, kind := range credKinds() {
		t.Run(kind.name, func(t *testing.T) {
			hc := &http.Client{Transport: apiSrv.Client().Transport, CheckRedirect: follow}
			c, err := New(append([]Option{WithBaseURL(apiSrv.URL), WithHTTPClient(hc), WithRetryPolicy(NoRetries)}, kind.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			// GET 302 to another port: followed, without any secret.
			api.set(http.StatusFound, otherSrv.URL+"/landed?email=rd.person@example.test")
			other.set(0, "")
			consulted = 0
			if err := call(t.Context(), c, http.MethodGet); err != nil {
				t.Fatal(err)
			}
			got := other.landed()
			if len(got) != 1 || consulted != 1 {
				t.Fatalf("landed %d, CheckRedirect consulted %d times", len(got), consulted)
			}
			if l := leaks(got[0]); len(l) > 0 || got[0].header.Get("Referer") != "" || got[0].header.Get("User-Agent") == "" {
				t.Errorf("the other origin got %v (Referer %q)", l, got[0].header.Get("Referer"))
			}
			// POST 307 to another port: the body never goes there.
			api.set(http.StatusTemporaryRedirect, otherSrv.URL+"/landed")
			other.set(0, "")
			var re *kyc.RedirectError
			if err := call(t.Context(), c, http.MethodPost); !errors.As(err, &re) || re.Reason != kyc.RedirectBodyOtherOrigin {
				t.Errorf("307 POST to another origin: %v", err)
			}
			if n := len(other.landed()); n != 0 {
				t.Errorf("the other origin got %d requests", n)
			}
		})
	}

	// https to http on the same host and port: refused even so.
	hc := &http.Client{Transport: dual.tls.Client().Transport, CheckRedirect: follow}
	c, err := New(WithBaseURL(dual.tls.URL), WithHTTPClient(hc), WithTokenSource(staticToken()), WithRetryPolicy(NoRetries))
	if err != nil {
		t.Fatal(err)
	}
	api.set(http.StatusFound, "http://127.0.0.1:"+dualPort+"/landed")
	var re *kyc.RedirectError
	if err := call(t.Context(), c, http.MethodGet); !errors.As(err, &re) || re.Reason != kyc.RedirectDowngrade {
		t.Errorf("https to http: %v", err)
	}
	if n := len(api.landed()); n != 0 {
		t.Errorf("plain http got %d requests", n)
	}

	// A caller's policy that stops at the first redirect is respected.
	stop := &http.Client{Transport: apiSrv.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c, err = New(WithBaseURL(apiSrv.URL), WithHTTPClient(stop), WithRetryPolicy(NoRetries))
	if err != nil {
		t.Fatal(err)
	}
	api.set(http.StatusFound, "/landed")
	var ae *kyc.APIError
	if err := call(t.Context(), c, http.MethodGet); !errors.As(err, &ae) || ae.StatusCode != http.StatusFound || len(api.landed()) != 0 {
		t.Errorf("ErrUseLastResponse policy: %v", err)
	}
}

// TestTokenRequestRedirectRefused: the token client (NewHTTPClient) never
// follows its token endpoint to another origin, so the client credentials
// (in the Authorization header or in the form body) stay there.
func TestTokenRequestRedirectRefused(t *testing.T) {
	tokenSrv := &recServer{}
	other := &recServer{}
	ts := httptest.NewServer(tokenSrv)
	defer ts.Close()
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		for _, target := range []string{otherSrv.URL + "/token2", "http://localhost:" + port + "/token2"} {
			for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
				tokenSrv.set(status, target)
				other.set(0, "")
				thc, err := NewHTTPClient(WithHTTPClient(ts.Client()), WithRetryPolicy(NoRetries))
				if err != nil {
					t.Fatal(err)
				}
				cc := &clientcredentials.Config{ClientID: rdClientID, ClientSecret: rdClientSec, TokenURL: ts.URL + "/token", AuthStyle: style}
				_, err = ClientCredentialsSource(context.WithValue(context.Background(), oauth2.HTTPClient, thc), cc).Token()
				var re *kyc.RedirectError
				if !errors.As(WrapTokenError(err), &re) || re.StatusCode != status {
					t.Errorf("style %d, %d to %s: %v", style, status, target, err)
				}
				for _, r := range append(other.landed(), tokenSrv.landed()...) {
					t.Errorf("style %d, %d to %s: the target got a request carrying %v", style, status, target, leaks(r))
				}
			}
		}
	}
}

// TestAbsoluteURLOtherOriginGetsNoCredentials: a request to an absolute
// URL on another origin (a file download, say) carries neither the token
// nor the configured headers.
func TestAbsoluteURLOtherOriginGetsNoCredentials(t *testing.T) {
	api := &recServer{}
	other := &recServer{}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	for _, kind := range credKinds() {
		other.set(0, "")
		c, err := New(append([]Option{WithBaseURL(apiSrv.URL), WithHTTPClient(apiSrv.Client()), WithRetryPolicy(NoRetries)}, kind.opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{otherSrv.URL + "/file", strings.Replace(apiSrv.URL, "127.0.0.1", "localhost", 1) + "/file"} {
			if _, err := c.Do(t.Context(), &Request{URL: u}, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range append(other.landed(), api.landed()...) {
			if l := leaks(r); len(l) > 0 {
				t.Errorf("%s: %s%s got %v", kind.name, r.host, r.path, l)
			}
		}
		api.set(0, "")
	}
}

// TestRedirectHostClipped: the target host comes from the server's
// Location header and goes into Error(): a huge one is cut.
func TestRedirectHostClipped(t *testing.T) {
	api := &recServer{}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	host := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60_000) + ".example"
	api.set(http.StatusFound, "http://"+host+"/landed")
	c, err := New(WithBaseURL(apiSrv.URL), WithHTTPClient(apiSrv.Client()), WithRetryPolicy(NoRetries))
	if err != nil {
		t.Fatal(err)
	}
	err = call(t.Context(), c, http.MethodGet)
	var re *kyc.RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T), want *RedirectError", err, err)
	}
	if len(re.Host) != maxHostLen+len("...") || !strings.HasPrefix(host, strings.TrimSuffix(re.Host, "...")) {
		t.Errorf("Host is %d bytes, want %d", len(re.Host), maxHostLen+3)
	}
	if n := len(err.Error()); n > 400 {
		t.Errorf("Error() is %d bytes", n)
	}
}
