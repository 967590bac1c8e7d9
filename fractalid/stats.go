package fractalid

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
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
func NewStatsClient(opts ...option.ClientOption) (*StatsClient, error) {
	s, v, err := configure(opts)
	if err != nil {
		return nil, err
	}
	var ts oauth2.TokenSource
	switch {
	case s.TokenSource != nil && v.clientID != "":
		return nil, fmt.Errorf("fractalid: %w: WithCredentials and option.WithTokenSource are exclusive", kyc.ErrInvalidArgument)
	case s.TokenSource != nil:
		ts = s.TokenSource
	case v.clientID != "":
		thc, err := s.TokenHTTPClient(v.env.TokenURL())
		if err != nil {
			return nil, err
		}
		cc := &clientcredentials.Config{
			ClientID:     v.clientID,
			ClientSecret: v.clientSecret,
			TokenURL:     v.env.TokenURL(),
			Scopes:       []string{string(ScopeClientStats)},
			AuthStyle:    oauth2.AuthStyleInParams,
		}
		// Non-caching: the core caches the token and fetches a new one when the API refuses it.
		ts = apiclient.ClientCredentialsSource(context.WithValue(context.Background(), oauth2.HTTPClient, thc), cc)
	default:
		return nil, fmt.Errorf("fractalid: %w: WithCredentials or option.WithTokenSource is required", kyc.ErrInvalidArgument)
	}
	core := append([]apiclient.Option{apiclient.WithMaxResponseBytes(statsDefaultMaxResponseBytes)}, s.CoreOptions()...)
	core = append(core,
		apiclient.WithBaseURL(resourceURL(s, v)),
		apiclient.WithTokenSource(ts),
		apiclient.WithErrorDecoder(decodeResourceError))
	api, err := apiclient.New(core...)
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
func (c *StatsClient) TotalVerifications(ctx context.Context, opts ...option.CallOption) (StatusCounts, error) {
	var out StatusCounts
	if err := c.get(ctx, "fractalid.TotalVerifications", statsTotalPath, &out, opts); err != nil {
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
func (c *StatsClient) CountryVerifications(ctx context.Context, opts ...option.CallOption) (map[string]StatusCounts, error) {
	var out map[string]StatusCounts
	if err := c.get(ctx, "fractalid.CountryVerifications", statsCountryPath, &out, opts); err != nil {
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
func (c *StatsClient) UserVerifications(ctx context.Context, opts ...option.CallOption) ([]UserVerification, error) {
	return c.userVerifications(ctx, "fractalid.UserVerifications", opts)
}

// userVerifications is UserVerifications traced as operation op.
func (c *StatsClient) userVerifications(ctx context.Context, op string, opts []option.CallOption) ([]UserVerification, error) {
	var out []UserVerification
	if err := c.get(ctx, op, statsUsersPath, &out, opts); err != nil {
		return nil, err
	}
	if out == nil {
		out = []UserVerification{}
	}
	return out, nil
}

func (c *StatsClient) get(ctx context.Context, op, path string, out any, opts []option.CallOption) error {
	call, err := apiclient.Call("fractalid", opts)
	if err != nil {
		return err
	}
	_, err = c.api.Do(ctx, &apiclient.Request{
		Method:     http.MethodGet,
		Path:       path,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Permission: string(ScopeClientStats),
		Operation:  op,
		Route:      path,
		Call:       call,
	}, out)
	return err
}
