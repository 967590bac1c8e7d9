package incode

import (
	"errors"
	"fmt"

	"github.com/kycgo/kyc/internal/apiclient"
)

// Hosts of reference section 4.0.
const (
	// DemoAPIURL is the Omni (/omni/...) API of the demo environment.
	DemoAPIURL = "https://demo-api.incodesmile.com"
	// ProductionAPIURL is the Omni (/omni/...) API of production.
	ProductionAPIURL = "https://saas-api.incodesmile.com"
	// DemoAuthURL is the OAuth/OIDC authorization server of the demo environment.
	DemoAuthURL = "https://auth.demo.incode.com"
	// ProductionAuthURL is the OAuth/OIDC authorization server of production.
	ProductionAuthURL = "https://auth.incode.com"
	// DemoWorkforceURL is the Workforce "incode-id" API of the demo environment.
	DemoWorkforceURL = "https://demo-api-incode-id.incodesmile.com"
	// ProductionWorkforceURL is the Workforce "incode-id" API of production.
	ProductionWorkforceURL = "https://api-incode-id.incodesmile.com"
)

// TokenPath is the client-credentials token endpoint below AuthURL.
const TokenPath = "/oauth2/token"

// Environment holds the base URLs of one Incode deployment. Every URL can
// be overridden (Incode also runs regional and dedicated hosts). The zero
// value is not usable.
type Environment struct {
	// Name is a label for logs ("demo", "production", "fake", ...).
	Name string
	// APIURL serves the Omni API (/omni/start, /omni/b2b/...).
	APIURL string
	// AuthURL is the OAuth authorization server; the token endpoint is
	// AuthURL + TokenPath.
	AuthURL string
	// WorkforceURL serves the Workforce "incode-id" API. This package does
	// not call it; it is kept so settings can carry it.
	WorkforceURL string
}

// Demo returns the demo environment of reference section 4.0.
func Demo() Environment {
	return Environment{Name: "demo", APIURL: DemoAPIURL, AuthURL: DemoAuthURL, WorkforceURL: DemoWorkforceURL}
}

// Production returns the production environment of reference section 4.0.
func Production() Environment {
	return Environment{Name: "production", APIURL: ProductionAPIURL, AuthURL: ProductionAuthURL, WorkforceURL: ProductionWorkforceURL}
}

// TokenURL is the client-credentials token endpoint, AuthURL + "/oauth2/token".
func (e Environment) TokenURL() string {
	if e.AuthURL == "" {
		return ""
	}
	u, err := apiclient.ParseBaseURL(e.AuthURL, true)
	if err != nil {
		return e.AuthURL + TokenPath
	}
	return u.String() + TokenPath
}

// Validate checks that APIURL and AuthURL are usable base URLs (https
// unless the host is loopback) and that WorkforceURL, if set, is too.
func (e Environment) Validate() error { return e.validate(false) }

func (e Environment) validate(allowHTTP bool) error {
	var errs []error
	check := func(name, raw string, required bool) {
		if raw == "" {
			if required {
				errs = append(errs, fmt.Errorf("%s is required", name))
			}
			return
		}
		if _, err := apiclient.ParseBaseURL(raw, allowHTTP); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	check("APIURL", e.APIURL, true)
	check("AuthURL", e.AuthURL, true)
	check("WorkforceURL", e.WorkforceURL, false)
	if len(errs) > 0 {
		return fmt.Errorf("incode: invalid environment: %w", errors.Join(errs...))
	}
	return nil
}
