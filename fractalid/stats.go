package fractalid

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc/internal/apiclient"
)

// Paths of the statistics endpoints on the resource host.
const (
	statsTotalPath   = "/v2/stats/total-verifications"
	statsCountryPath = "/v2/stats/country-verifications"
	statsUsersPath   = "/v2/stats/user-verifications"
)

// statsDefaultMaxResponseBytes is the stats client's default body cap. The
// user-verifications list has no pagination and grows with the user base
// (about 100 bytes per row), so the cap is larger than the core's 10 MiB.
const statsDefaultMaxResponseBytes = 64 << 20

// statsKnownStatuses are the statuses the statistics API documents, in
// the order of its status table: approved, rejected, pending, contacted
// and expired (the last only for clients with expiry switched on).
var statsKnownStatuses = [...]Status{StatusApproved, StatusRejected, StatusPending, StatusContacted, StatusExpired}

// StatusCounts maps a status to a number of users. The statistics API
// documents approved, rejected, pending, contacted and expired. The server
// leaves out statuses whose count is zero; Get reads them as 0. Statuses
// this package does not name (future ones) are kept.
type StatusCounts map[Status]int

// Get returns the count of s, 0 when the server left it out.
func (c StatusCounts) Get(s Status) int { return c[s] }

// Total returns the sum of all counts. It saturates at the largest int and
// ignores negative counts (which the server never sends), so it is never
// negative.
func (c StatusCounts) Total() int {
	total := 0
	for _, n := range c {
		if n <= 0 {
			continue
		}
		if total > math.MaxInt-n {
			return math.MaxInt
		}
		total += n
	}
	return total
}

// Statuses returns the statuses present, the documented ones first in the
// order approved, rejected, pending, contacted, expired, then any others
// sorted. It gives a deterministic order for printing.
func (c StatusCounts) Statuses() []Status {
	out := make([]Status, 0, len(c))
	for s := range c {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Status) int {
		ia, ib := statsStatusRank(a), statsStatusRank(b)
		if ia != ib {
			return cmp.Compare(ia, ib)
		}
		return strings.Compare(string(a), string(b))
	})
	return out
}

func statsStatusRank(s Status) int {
	if i := slices.Index(statsKnownStatuses[:], s); i >= 0 {
		return i
	}
	return len(statsKnownStatuses)
}

// UserVerification is one row of GET /v2/stats/user-verifications: the
// status of one user for one level. A user may have several rows.
type UserVerification struct {
	// UserID is the user's identifier (the same uid /v2/users/me returns).
	UserID string `json:"user_id"`
	// RawLevel is the level string as sent, for example "basic+liveness" or
	// the legacy "v1" and "light+selfie+wallet". Level parses it.
	RawLevel string `json:"level"`
	// Status is the outcome for that level. The API sends it as
	// "credential"; a "status" field is accepted when "credential" is absent.
	Status Status `json:"credential"`
}

// Level parses RawLevel with ParseLevel (legacy and unknown items are kept).
func (v UserVerification) Level() Level { return ParseLevel(v.RawLevel) }

// UnmarshalJSON decodes a row, accepting "status" when "credential" is absent.
func (v *UserVerification) UnmarshalJSON(b []byte) error {
	var raw struct {
		UserID     string  `json:"user_id"`
		Level      string  `json:"level"`
		Credential *Status `json:"credential"`
		Status     *Status `json:"status"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := UserVerification{UserID: raw.UserID, RawLevel: raw.Level}
	switch {
	case raw.Credential != nil:
		out.Status = *raw.Credential
	case raw.Status != nil:
		out.Status = *raw.Status
	}
	*v = out
	return nil
}

// StatsOption configures a StatsClient. Options validate their arguments.
type StatsOption func(*statsSettings) error

type statsSettings struct {
	clientID     string
	clientSecret string
	ts           oauth2.TokenSource
	env          Environment
	baseURL      string
	allowHTTP    bool
	hc           *http.Client
	core         []apiclient.Option
}

// WithStatsCredentials authenticates with the application's client ID and
// secret (client-credentials grant, scope client.stats:read). Either this
// or WithStatsTokenSource is required.
func WithStatsCredentials(clientID, clientSecret string) StatsOption {
	return func(s *statsSettings) error {
		if strings.TrimSpace(clientID) == "" || clientSecret == "" {
			return errors.New("client ID and client secret are required")
		}
		s.clientID, s.clientSecret = clientID, clientSecret
		return nil
	}
}

// WithStatsTokenSource authenticates every request with tokens from ts,
// which must grant client.stats:read. It replaces WithStatsCredentials.
func WithStatsTokenSource(ts oauth2.TokenSource) StatsOption {
	return func(s *statsSettings) error {
		if ts == nil {
			return errors.New("nil oauth2.TokenSource")
		}
		s.ts = ts
		return nil
	}
}

// WithStatsEnvironment selects the deployment (default Production): tokens
// come from env.TokenURL() and the statistics from env.ResourceURL.
func WithStatsEnvironment(env Environment) StatsOption {
	return func(s *statsSettings) error {
		if env.AuthURL == "" || env.ResourceURL == "" {
			return errors.New("environment needs AuthURL and ResourceURL")
		}
		s.env = env
		return nil
	}
}

// WithStatsBaseURL overrides the resource host the statistics are read
// from (the environment's ResourceURL).
func WithStatsBaseURL(raw string) StatsOption {
	return func(s *statsSettings) error {
		if raw == "" {
			return errors.New("empty base URL")
		}
		s.baseURL = raw
		return nil
	}
}

// WithStatsInsecureHTTP allows plain http URLs on non-loopback hosts (tests only).
func WithStatsInsecureHTTP() StatsOption {
	return func(s *statsSettings) error {
		s.allowHTTP = true
		s.core = append(s.core, apiclient.WithInsecureHTTP())
		return nil
	}
}

// WithStatsHTTPClient sends both token and statistics requests through hc.
// Its transport is wrapped, never replaced.
func WithStatsHTTPClient(hc *http.Client) StatsOption {
	return func(s *statsSettings) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		s.hc = hc
		return nil
	}
}

// WithStatsRetryPolicy replaces the default retry policy (2 retries of GETs
// on transport errors, 408, 429, 502, 503 and 504). Token requests are
// POSTs and are retried only when they never left the machine.
func WithStatsRetryPolicy(p RetryPolicy) StatsOption {
	return statsCoreOption(apiclient.WithRetryPolicy(p))
}

// WithStatsTimeout sets the timeout of each attempt, body included (default 30s).
func WithStatsTimeout(d time.Duration) StatsOption {
	return statsCoreOption(apiclient.WithTimeout(d))
}

// WithStatsMaxResponseBytes caps response bodies (default 64 MiB, since
// the user-verifications list is not paginated).
func WithStatsMaxResponseBytes(n int64) StatsOption {
	return statsCoreOption(apiclient.WithMaxResponseBytes(n))
}

// WithStatsLogger logs one debug line per HTTP attempt (method, host, path,
// status, duration). Nothing is logged without it; tokens, secrets and
// bodies are never logged.
// A nil logger turns logging off.
func WithStatsLogger(l *slog.Logger) StatsOption {
	return statsCoreOption(apiclient.WithLogger(l))
}

// WithStatsUserAgent appends suffix to the kyc-go User-Agent.
func WithStatsUserAgent(suffix string) StatsOption {
	return statsCoreOption(apiclient.WithUserAgent(suffix))
}

// statsCoreOption validates a core option at once and keeps it for later.
func statsCoreOption(o apiclient.Option) StatsOption {
	return func(s *statsSettings) error {
		if _, err := apiclient.NewHTTPClient(o); err != nil {
			return err
		}
		s.core = append(s.core, o)
		return nil
	}
}

// StatsClient reads an application's statistics from Fractal ID's
// back-office API (GET /v2/stats/*) with a client-credentials token. It is
// safe for concurrent use.
type StatsClient struct {
	api  *apiclient.Client
	base string
}

// NewStatsClient builds a StatsClient. Tokens are requested from the
// environment's token endpoint (default Production) with the
// client_credentials grant, scope client.stats:read and the client ID and
// secret in the form body; the statistics are read from the environment's
// resource host. No request is sent until the first call.
//
// The token source lives as long as the client: it is built from
// context.Background(), never from a request context.
func NewStatsClient(opts ...StatsOption) (*StatsClient, error) {
	s := statsSettings{env: Production}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, fmt.Errorf("fractalid: %w: %w", ErrInvalidArgument, err)
		}
	}
	base := s.baseURL
	if base == "" {
		base = s.env.ResourceURL
	}
	var ts oauth2.TokenSource
	switch {
	case s.ts != nil && s.clientID != "":
		return nil, fmt.Errorf("fractalid: %w: WithStatsCredentials and WithStatsTokenSource are exclusive", ErrInvalidArgument)
	case s.ts != nil:
		ts = s.ts
	case s.clientID != "":
		if _, err := apiclient.ParseBaseURL(s.env.AuthURL, s.allowHTTP); err != nil {
			return nil, fmt.Errorf("fractalid: token endpoint: %w", err)
		}
		tokenOpts := append([]apiclient.Option{}, s.core...)
		if s.hc != nil {
			tokenOpts = append(tokenOpts, apiclient.WithHTTPClient(s.hc))
		}
		thc, err := apiclient.NewHTTPClient(tokenOpts...)
		if err != nil {
			return nil, err
		}
		cc := &clientcredentials.Config{
			ClientID:     s.clientID,
			ClientSecret: s.clientSecret,
			TokenURL:     s.env.TokenURL(),
			Scopes:       []string{string(ScopeClientStats)},
			AuthStyle:    oauth2.AuthStyleInParams,
		}
		// Non-caching: the core caches the token and fetches a new one when the API refuses it.
		ts = apiclient.ClientCredentialsSource(context.WithValue(context.Background(), oauth2.HTTPClient, thc), cc)
	default:
		return nil, fmt.Errorf("fractalid: %w: WithStatsCredentials or WithStatsTokenSource is required", ErrInvalidArgument)
	}
	coreOpts := []apiclient.Option{
		apiclient.WithMaxResponseBytes(statsDefaultMaxResponseBytes),
		apiclient.WithBaseURL(base),
		apiclient.WithTokenSource(ts),
		apiclient.WithErrorDecoder(decodeResourceError),
	}
	if s.hc != nil {
		coreOpts = append(coreOpts, apiclient.WithHTTPClient(s.hc))
	}
	api, err := apiclient.New(append(coreOpts, s.core...)...)
	if err != nil {
		return nil, err
	}
	return &StatsClient{api: api, base: api.BaseURL().String()}, nil
}

// String describes the client by its resource host; it never prints credentials.
func (c *StatsClient) String() string { return "fractalid.StatsClient{" + c.base + "}" }

// GoString is String, so %#v never prints credentials either.
func (c *StatsClient) GoString() string { return c.String() }

// TotalVerifications returns the current number of users per status
// (GET /v2/stats/total-verifications).
func (c *StatsClient) TotalVerifications(ctx context.Context) (StatusCounts, error) {
	var out StatusCounts
	if err := c.get(ctx, statsTotalPath, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = StatusCounts{}
	}
	return out, nil
}

// CountryVerifications returns the number of users per status for each
// country code (GET /v2/stats/country-verifications). Which country (of
// residence or of the document) is not documented.
func (c *StatsClient) CountryVerifications(ctx context.Context) (map[string]StatusCounts, error) {
	var out map[string]StatusCounts
	if err := c.get(ctx, statsCountryPath, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]StatusCounts{}
	}
	for k, v := range out {
		if v == nil {
			out[k] = StatusCounts{}
		}
	}
	return out, nil
}

// UserVerifications returns one row per user and level
// (GET /v2/stats/user-verifications). The list is not paginated; a
// truncated or malformed body gives an error and no rows.
func (c *StatsClient) UserVerifications(ctx context.Context) ([]UserVerification, error) {
	var out []UserVerification
	if err := c.get(ctx, statsUsersPath, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []UserVerification{}
	}
	return out, nil
}

func (c *StatsClient) get(ctx context.Context, path string, out any) error {
	_, err := c.api.Do(ctx, &apiclient.Request{
		Method:     http.MethodGet,
		Path:       path,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Permission: string(ScopeClientStats),
	}, out)
	return err
}
