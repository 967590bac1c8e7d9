package credentials

import (
	"errors"
	"fmt"

	"github.com/kycgo/kyc/internal/apiclient"
)

// Hosts and signing addresses of reference §7.1 (documented).
const (
	// ProductionURL is the production Credentials API.
	ProductionURL = "https://credentials.fractal.id"
	// StagingURL is the staging Credentials API the documentation names.
	StagingURL = "https://credentials.next.fractal.id"
	// StagingSandboxURL is the staging host Fractal's own demo calls; it is
	// known from that code only. Use it with option.WithBaseURL if StagingURL does not answer.
	StagingSandboxURL = "https://credentials.staging.sandbox.fractal.id"
	// ProductionSignerAddress signs production proofs.
	ProductionSignerAddress = "0xacD08d6714ADba531beFF582e6FD5DA1AFD6bc65"
	// StagingSignerAddress signs staging proofs.
	StagingSignerAddress = "0x2fCAb633adFA6aF8266025D63228047033c3ceD0"
)

// Environment is one deployment of the Credentials API: where to ask for
// proofs and which address signs them. Every field can be overridden.
type Environment struct {
	// Name is a label ("production", "staging", "fake", ...).
	Name string
	// URL is the API's base URL; proofs are requested with GET URL/?message=...&signature=...
	URL string
	// Signer is the address whose signature a proof of this environment carries.
	Signer Address
}

// Production returns the production environment.
func Production() Environment {
	return Environment{Name: "production", URL: ProductionURL, Signer: MustParseAddress(ProductionSignerAddress)}
}

// Staging returns the staging environment the documentation names.
func Staging() Environment {
	return Environment{Name: "staging", URL: StagingURL, Signer: MustParseAddress(StagingSignerAddress)}
}

// Validate checks that URL is an https base URL (http on loopback) and Signer is set.
func (e Environment) Validate() error {
	var errs []error
	if _, err := apiclient.ParseBaseURL(e.URL, false); err != nil {
		errs = append(errs, fmt.Errorf("URL: %w", err))
	}
	if e.Signer.IsZero() {
		errs = append(errs, errors.New("a signing address (Signer) is required"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("credentials: invalid environment: %w", errors.Join(errs...))
	}
	return nil
}
