package ekycadmin_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/option"
)

const (
	rdKey    = "rd-ekyc-api-key-41f0"
	rdSecret = "rd-ekyc-client-secret-7c2a"
)

// hopServer records what it receives; on the paths in redirects it
// answers with a redirect, on /token with a token, elsewhere with {}.
type hopServer struct {
	mu        sync.Mutex
	got       []string // "METHOD /path" + the secrets it carried
	redirects map[string]string
	status    int
}

func (s *hopServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	carried := ""
	for k, vs := range r.Header {
		for _, v := range vs {
			if strings.Contains(v, rdKey) || k == "Authorization" {
				carried += " " + k
			}
		}
	}
	if len(b) > 0 {
		carried += " body"
	}
	s.mu.Lock()
	s.got = append(s.got, r.Method+" "+r.URL.Path+carried)
	loc, status := s.redirects[r.URL.Path], s.status
	s.mu.Unlock()
	if loc != "" {
		w.Header().Set("Location", loc)
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/token" {
		_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
		return
	}
	_, _ = io.WriteString(w, `{"userId":"u1"}`)
}

func (s *hopServer) reset(status int, redirects map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got, s.status, s.redirects = nil, status, redirects
}

func (s *hopServer) requests(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, g := range s.got {
		if strings.Contains(g, prefix) {
			out = append(out, g)
		}
	}
	return out
}

// TestRedirectsKeepCredentials: the X-API-Key, the Bearer token, the
// session request body and the client secret (Basic header of the token
// request) never reach another origin, whether the API or the token
// endpoint redirects, to another port or another host name.
func TestRedirectsKeepCredentials(t *testing.T) {
	front := &hopServer{}
	other := &hopServer{}
	frontSrv := httptest.NewServer(front)
	defer frontSrv.Close()
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	_, port, _ := net.SplitHostPort(frontSrv.Listener.Addr().String())
	targets := map[string]string{
		"other port": otherSrv.URL + "/landed?email=rd.person@example.test",
		"other host": "http://localhost:" + port + "/landed?email=rd.person@example.test",
	}
	newClient := func(t *testing.T) *ekycadmin.Client {
		c, err := ekycadmin.NewClient(option.WithBaseURL(frontSrv.URL), ekycadmin.WithTokenURL(frontSrv.URL+"/token"),
			ekycadmin.WithCredentials("rd-client", rdSecret), ekycadmin.WithAPIKey(rdKey),
			option.WithHTTPClient(&http.Client{Transport: frontSrv.Client().Transport}), option.WithRetryPolicy(faultRetries))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	calls := map[string]struct {
		path   string
		status int
		do     func(*testing.T, *ekycadmin.Client) error
	}{
		"UserStatus 302": {"/ekyc/admin/u1/status", http.StatusFound, func(t *testing.T, c *ekycadmin.Client) error {
			_, err := c.UserStatus(t.Context(), "u1")
			return err
		}},
		"CreateSession 307": {"/ekyc/admin/u1/sessions", http.StatusTemporaryRedirect, func(t *testing.T, c *ekycadmin.Client) error {
			_, err := c.CreateSession(t.Context(), "u1", &ekycadmin.CreateSessionRequest{Callback: "https://app.example.com/done"})
			return err
		}},
		"token endpoint 307": {"/token", http.StatusTemporaryRedirect, func(t *testing.T, c *ekycadmin.Client) error {
			_, err := c.UserStatus(t.Context(), "u1")
			return err
		}},
		"token endpoint 302": {"/token", http.StatusFound, func(t *testing.T, c *ekycadmin.Client) error {
			_, err := c.UserStatus(t.Context(), "u1")
			return err
		}},
	}
	for tname, target := range targets {
		for cname, call := range calls {
			t.Run(tname+"/"+cname, func(t *testing.T) {
				front.reset(call.status, map[string]string{call.path: target})
				other.reset(0, nil)
				err := call.do(t, newClient(t))
				var re *kyc.RedirectError
				if !errors.As(err, &re) || !errors.Is(err, kyc.ErrRedirectRefused) || re.StatusCode != call.status {
					t.Fatalf("error %v (%T), want *RedirectError for %d", err, err, call.status)
				}
				if strings.Contains(err.Error(), "email") || strings.Contains(err.Error(), rdKey) || strings.Contains(err.Error(), rdSecret) {
					t.Errorf("Error() = %q", err)
				}
				for _, r := range append(other.requests(""), front.requests("/landed")...) {
					t.Errorf("the redirect target received %q", r)
				}
			})
		}
	}
}

// TestShortLivedTokenReusedAgainstFake: with the package's one-minute
// refresh margin, a token the server issues for 60 seconds serves ten
// calls with one token request.
func TestShortLivedTokenReusedAgainstFake(t *testing.T) {
	srv := ekycadmintest.NewServer(t, ekycadmintest.WithTokenTTL(60*time.Second))
	srv.AddUser(ekycadmintest.ValidUser("u"))
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()),
		ekycadmin.WithCredentials(id, secret), option.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := c.UserStatus(t.Context(), "u"); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Count(http.MethodPost, ekycadmintest.PathToken); n != 1 {
		t.Errorf("%d token requests for ten calls with a 60s token, want 1", n)
	}
}
