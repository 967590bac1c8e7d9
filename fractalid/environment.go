package fractalid

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kycgo/kyc/internal/apiclient"
)

// Environment holds the base URLs of one Fractal ID deployment. Every URL
// can be overridden; the zero value is not usable.
type Environment struct {
	// Name is a label for logs ("production", "staging", "fake", ...).
	Name string
	// FrontendURL serves the user-facing authorization page (GET /authorize).
	FrontendURL string
	// AuthURL serves the OAuth token endpoint (POST /oauth/token).
	AuthURL string
	// ResourceURL serves GET /v2/users/me and GET /v2/stats/*.
	ResourceURL string
	// MessageOrigin is the origin (scheme://host[:port]) the embedded
	// journey's postMessage events come from. Empty means the origin of
	// FrontendURL; see EmbedOrigin.
	MessageOrigin string
}

// Production is Fractal ID's production environment (real verification).
var Production = Environment{
	Name:          "production",
	FrontendURL:   "https://app.fractal.id",
	AuthURL:       "https://auth.fractal.id",
	ResourceURL:   "https://resource.fractal.id",
	MessageOrigin: "https://app.fractal.id", // documented
}

// Staging is Fractal ID's staging environment: no real verification is
// carried out; Fractal support approves or rejects test users by hand. Its
// MessageOrigin is left empty: the reference only infers that it is the
// origin of FrontendURL.
var Staging = Environment{
	Name:        "staging",
	FrontendURL: "https://app.staging.sandbox.fractal.id",
	AuthURL:     "https://auth.staging.sandbox.fractal.id",
	ResourceURL: "https://resource.staging.sandbox.fractal.id",
}

// AuthorizeURL is the authorization endpoint: FrontendURL + "/authorize".
func (e Environment) AuthorizeURL() string {
	return strings.TrimRight(e.FrontendURL, "/") + "/authorize"
}

// TokenURL is the token endpoint: AuthURL + "/oauth/token".
func (e Environment) TokenURL() string { return strings.TrimRight(e.AuthURL, "/") + "/oauth/token" }

// Validate checks that every URL is an absolute https URL (http is
// accepted for loopback hosts only).
func (e Environment) Validate() error {
	for _, f := range []struct{ name, v string }{{"FrontendURL", e.FrontendURL}, {"AuthURL", e.AuthURL}, {"ResourceURL", e.ResourceURL}} {
		if _, err := apiclient.ParseBaseURL(f.v, false); err != nil {
			return fmt.Errorf("fractalid: environment %s: %w", f.name, err)
		}
	}
	if e.MessageOrigin != "" {
		u, err := apiclient.ParseBaseURL(e.MessageOrigin, false)
		if err != nil {
			return fmt.Errorf("fractalid: environment MessageOrigin: %w", err)
		}
		if p := strings.TrimRight(u.Path, "/"); p != "" || u.RawQuery != "" {
			return errors.New("fractalid: environment MessageOrigin must be an origin (scheme://host[:port]) without a path")
		}
	}
	return nil
}
