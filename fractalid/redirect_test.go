package fractalid_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/option"
)

const (
	rdToken  = "rd-fractal-access-token-2c1d"
	rdSecret = "rd-fractal-client-secret-8e4b"
)

// hopServer records what it receives; on the paths in redirects it
// answers with a redirect, on the token path with a token, elsewhere 200.
type hopServer struct {
	mu        sync.Mutex
	got       []string
	redirects map[string]string
	status    int
}

func (s *hopServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	carried := ""
	if r.Header.Get("Authorization") != "" {
		carried += " Authorization"
	}
	if strings.Contains(string(b), rdSecret) {
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
	if r.URL.Path == "/oauth/token" {
		_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
		return
	}
	_, _ = io.WriteString(w, `{"uid":"u1","verification_cases":[]}`)
}

func (s *hopServer) reset(status int, redirects map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got, s.status, s.redirects = nil, status, redirects
}

func (s *hopServer) requests(sub string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, g := range s.got {
		if strings.Contains(g, sub) {
			out = append(out, g)
		}
	}
	return out
}

// TestRedirectsKeepCredentials: the user's Bearer token (Me) and the
// statistics client's credentials (its token request) never follow a
// redirect to another port or host name.
func TestRedirectsKeepCredentials(t *testing.T) {
	front := &hopServer{}
	other := &hopServer{}
	frontSrv := httptest.NewServer(front)
	defer frontSrv.Close()
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	_, port, _ := net.SplitHostPort(frontSrv.Listener.Addr().String())
	hc := &http.Client{Transport: frontSrv.Client().Transport}
	env := fractalid.Environment{Name: "redirecting", FrontendURL: frontSrv.URL, AuthURL: frontSrv.URL, ResourceURL: frontSrv.URL}
	for _, target := range []string{otherSrv.URL + "/landed?x=1", "http://localhost:" + port + "/landed?x=1"} {
		for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
			// Me with the user's token.
			front.reset(status, map[string]string{"/v2/users/me": target})
			other.reset(0, nil)
			c, err := fractalid.NewClient(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: rdToken}),
				fractalid.WithEnvironment(env), option.WithHTTPClient(hc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Me(t.Context())
			var re *kyc.RedirectError
			if !errors.As(err, &re) || !errors.Is(err, kyc.ErrRedirectRefused) || re.StatusCode != status {
				t.Errorf("Me, %d to %s: %v (%T)", status, target, err, err)
			}
			// The statistics client's token request.
			front.reset(status, map[string]string{"/oauth/token": target})
			sc, err := fractalid.NewStatsClient(fractalid.WithEnvironment(env), fractalid.WithCredentials("rd-client", rdSecret),
				option.WithHTTPClient(hc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = sc.TotalVerifications(t.Context())
			if !errors.As(err, &re) || re.StatusCode != status {
				t.Errorf("stats token, %d to %s: %v (%T)", status, target, err, err)
			}
			for _, r := range append(other.requests(""), front.requests("/landed")...) {
				t.Errorf("%d to %s: the redirect target received %q", status, target, r)
			}
		}
	}
}
