package ekycadmin

import (
	"net/http"

	"github.com/kycgo/kyc/internal/apiclient"
)

// newTokenHTTPClient returns the client the oauth2 package uses for token
// requests: the core's timeout, logging and retry layers with the client's
// retry policy. A token request is a POST, so the core retries it only when
// it never left the machine (a dial or DNS error); one that reached the
// server is never sent again.
func newTokenHTTPClient(s *apiclient.Settings) (*http.Client, error) {
	return apiclient.NewHTTPClient(s.TokenClientOptions()...)
}
