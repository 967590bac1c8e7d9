package incode_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/option"
)

const (
	rdKey       = "rd-incode-api-key-0d9e"
	rdSecret    = "rd-incode-client-secret-55b1"
	rdLoginHint = "rd.person@example.test"
)

// hopServer records what it receives; on the paths in redirects it
// answers with a redirect, on the token path with a token, elsewhere with
// an onboarding link.
type hopServer struct {
	mu        sync.Mutex
	got       []string
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
	if strings.Contains(string(b), "rd.person") || strings.Contains(string(b), rdSecret) {
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
	if strings.HasSuffix(r.URL.Path, "/token") {
		_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
		return
	}
	_, _ = io.WriteString(w, `{"interviewId":"i-1","url":"https://onboarding.example.test/i-1"}`)
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

// TestRedirectsKeepCredentials: Incode's x-api-key, the Bearer token, the
// request body with the loginHint e-mail address and the client secret
// (form body of the token request) never reach another origin on a 302 or
// 307, from the API or from the token endpoint, to another port or another
// host name.
func TestRedirectsKeepCredentials(t *testing.T) {
	front := &hopServer{}
	other := &hopServer{}
	frontSrv := httptest.NewServer(front)
	defer frontSrv.Close()
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	_, port, _ := net.SplitHostPort(frontSrv.Listener.Addr().String())
	env := incode.Environment{Name: "redirecting", APIURL: frontSrv.URL, AuthURL: frontSrv.URL}
	tokenPath := strings.TrimPrefix(env.TokenURL(), frontSrv.URL)
	targets := map[string]string{
		"other port": otherSrv.URL + "/landed?email=" + rdLoginHint,
		"other host": "http://localhost:" + port + "/landed?email=" + rdLoginHint,
	}
	for tname, target := range targets {
		for _, hop := range []struct {
			path   string
			status int
		}{
			{incode.RequestNewPath, http.StatusTemporaryRedirect}, {incode.RequestNewPath, http.StatusPermanentRedirect},
			{incode.RequestNewPath, http.StatusFound}, {tokenPath, http.StatusTemporaryRedirect}, {tokenPath, http.StatusFound},
		} {
			t.Run(tname+"/"+hop.path+"/"+http.StatusText(hop.status), func(t *testing.T) {
				front.reset(hop.status, map[string]string{hop.path: target})
				other.reset(0, nil)
				c, err := incode.NewClient(incode.WithEnvironment(env), incode.WithAPIKey(rdKey),
					incode.WithClientCredentials("rd-client", rdSecret), incode.WithIntegrationID("int-1"),
					option.WithHTTPClient(&http.Client{Transport: frontSrv.Client().Transport}))
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.RequestNewOnboarding(t.Context(), &incode.OnboardingRequest{LoginHint: rdLoginHint})
				var re *kyc.RedirectError
				if !errors.As(err, &re) || !errors.Is(err, kyc.ErrRedirectRefused) || re.StatusCode != hop.status {
					t.Fatalf("error %v (%T), want *RedirectError for %d", err, err, hop.status)
				}
				if msg := err.Error(); strings.Contains(msg, "rd.person") || strings.Contains(msg, "email") {
					t.Errorf("Error() = %q", msg)
				}
				for _, r := range append(other.requests(""), front.requests("/landed")...) {
					t.Errorf("the redirect target received %q", r)
				}
			})
		}
	}
}
