package ekycadmintest

import (
	"time"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/option"
)

// FastRetries is the retry policy of clients made by Client and
// ClientWith: the default number of retries and the same rules about what
// is retried, with backoffs of 1-10ms so tests stay fast. A server's
// Retry-After is still honoured (up to 30s).
func FastRetries() option.RetryPolicy {
	return option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond, MaxRetryAfter: 30 * time.Second}
}

// Client returns an ekycadmin client pointed at the fake with a new
// credential holding every permission, using FastRetries. opts are applied
// after the fake's own and may override them. A failure fails the test.
func (s *Server) Client(opts ...option.ClientOption) *ekycadmin.Client {
	s.t.Helper()
	return s.ClientWith(AllPermissions(), opts...)
}

// ClientWith is Client with a credential holding only perms.
func (s *Server) ClientWith(perms []Permission, opts ...option.ClientOption) *ekycadmin.Client {
	s.t.Helper()
	id, secret := s.Credentials(perms...)
	base := []option.ClientOption{
		option.WithBaseURL(s.BaseURL()),
		ekycadmin.WithTokenURL(s.TokenURL()),
		ekycadmin.WithCredentials(id, secret),
		option.WithRetryPolicy(FastRetries()),
	}
	c, err := ekycadmin.NewClient(append(base, opts...)...)
	if err != nil {
		s.t.Fatalf("ekycadmintest: NewClient: %v", err)
	}
	return c
}
