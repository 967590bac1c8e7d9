package kraken

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kycgo/kyc"
)

// KYC levels seen with Kraken. Any other level string is passed as given.
const (
	// LevelBasic is "basic" (documented).
	LevelBasic = "basic"
	// LevelBasicLiveness is "basic+liveness" (documented).
	LevelBasicLiveness = "basic+liveness"
	// LevelBasicLivenessIDOS is "basic+liveness+idos" (documented).
	LevelBasicLivenessIDOS = "basic+liveness+idos"
	// LevelPlusLivenessIDOS is "plus+liveness+idos" (seen in integrators'
	// code only).
	LevelPlusLivenessIDOS = "plus+liveness+idos"
)

// Config is an integrator's Kraken setup: the client ID Fractal issued,
// the ES512 private key whose public half Fractal registered, and the
// environment. It builds KYC links and is the base of a Client.
type Config struct {
	// ClientID is the client ID Fractal's operations team sent.
	ClientID string
	// Key signs the KYC link and API tokens.
	Key *PrivateKey
	// Environment selects the hosts; the zero value means Production.
	Environment Environment
	// Now, when set, replaces time.Now for the iat and exp claims, and
	// for the Client's token cache, which reuses an API token until its
	// exp (less the refresh margin) on this clock.
	Now func() time.Time
}

// String shows the client ID and environment, never the key.
func (c Config) String() string {
	return "kraken.Config{ClientID: " + c.ClientID + ", Environment: " + c.env().Name + ", Key: [redacted]}"
}

// GoString is String.
func (c Config) GoString() string { return c.String() }

// LogValue logs the client ID and environment only.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", c.ClientID), slog.String("environment", c.env().Name))
}

// MarshalJSON writes the client ID and environment name, never the key.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ClientID    string `json:"clientId"`
		Environment string `json:"environment"`
		Key         string `json:"key"`
	}{c.ClientID, c.env().Name, "[redacted]"})
}

func (c *Config) env() Environment {
	if c.Environment.KYCURL == "" && c.Environment.APIURL == "" {
		return Production
	}
	return c.Environment
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Validate checks the client ID, the key and the environment.
func (c *Config) Validate() error {
	if err := checkToken("client ID", c.ClientID); err != nil {
		return err
	}
	if c.Key == nil || c.Key.k == nil {
		return fmt.Errorf("kraken: %w: no private key", kyc.ErrInvalidArgument)
	}
	if err := c.env().Validate(); err != nil {
		return fmt.Errorf("%w: %w", kyc.ErrInvalidArgument, err)
	}
	return nil
}

// checkToken refuses empty values, spaces and control characters.
func checkToken(what, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("kraken: %w: empty %s", kyc.ErrInvalidArgument, what)
	}
	for _, r := range v {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("kraken: %w: %s contains spaces or control characters", kyc.ErrInvalidArgument, what)
		}
	}
	return nil
}

// LinkOption adds a parameter to a KYC link. Options check their arguments.
type LinkOption func(*linkSettings) error

type linkSettings struct {
	provider, wallet string
}

// WithProvider adds provider=<name> to the KYC link ("sumsub", "persona",
// …). Seen in integrators' code, not in Fractal's docs: whether Kraken
// honours it is not documented.
func WithProvider(name string) LinkOption {
	return func(s *linkSettings) error {
		if err := checkToken("provider", name); err != nil {
			return err
		}
		s.provider = name
		return nil
	}
}

// WithWalletAddress adds walletAddress=<address> to the KYC link. Seen in
// integrators' code, not in Fractal's docs: whether Kraken honours it is
// not documented.
func WithWalletAddress(addr string) LinkOption {
	return func(s *linkSettings) error {
		if err := checkToken("wallet address", addr); err != nil {
			return err
		}
		s.wallet = addr
		return nil
	}
}

// kycClaims are the claims of the KYC link token, in the documented order.
type kycClaims struct {
	ClientID string `json:"clientId"`
	KYC      bool   `json:"kyc"`
	Level    string `json:"level"`
	State    string `json:"state,omitempty"`
	IAT      int64  `json:"iat"`
}

// GetExpirationTime and the other jwt.Claims methods: the link token has
// no expiry, as documented.
func (kycClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (c kycClaims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IAT, 0)), nil
}
func (kycClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (kycClaims) GetIssuer() (string, error)              { return "", nil }
func (kycClaims) GetSubject() (string, error)             { return "", nil }
func (kycClaims) GetAudience() (jwt.ClaimStrings, error)  { return nil, nil }

// apiClaims are the claims of an API token.
type apiClaims struct {
	API      bool   `json:"api"`
	ClientID string `json:"clientId"`
	IAT      int64  `json:"iat"`
	EXP      int64  `json:"exp"`
}

func (c apiClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.EXP, 0)), nil
}
func (c apiClaims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IAT, 0)), nil
}
func (apiClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (apiClaims) GetIssuer() (string, error)              { return "", nil }
func (apiClaims) GetSubject() (string, error)             { return "", nil }
func (apiClaims) GetAudience() (jwt.ClaimStrings, error)  { return nil, nil }

// sign signs claims with ES512; the header is {"alg":"ES512","typ":"JWT"}
// and the signature the 132-byte R||S form of RFC 7518 section 3.4.
func sign(key *PrivateKey, claims jwt.Claims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodES512, claims)
	s, err := tok.SignedString(key.k)
	if err != nil {
		return "", errors.New("kraken: cannot sign token")
	}
	return s, nil
}

// KYCURL returns the link that starts a KYC journey:
// <KYCURL>/kyc?token=<JWT>, where the JWT is signed ES512 with the claims
// {"clientId", "kyc": true, "level", "state" (when not empty), "iat"} and,
// as documented, no expiry. The same link works as a redirect and as an
// iframe source. state comes back in the iframe's completion message;
// make it unguessable and tie it to the user's session. The link holds a
// signed token: treat it as a credential (do not log it).
func (c *Config) KYCURL(level, state string, opts ...LinkOption) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	if err := checkToken("level", level); err != nil {
		return "", err
	}
	if state != "" {
		if err := checkToken("state", state); err != nil {
			return "", err
		}
	}
	var ls linkSettings
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&ls); err != nil {
			return "", err
		}
	}
	tok, err := sign(c.Key, kycClaims{ClientID: c.ClientID, KYC: true, Level: level, State: state, IAT: c.now().Unix()})
	if err != nil {
		return "", err
	}
	u, err := url.Parse(strings.TrimRight(c.env().KYCURL, "/") + "/kyc")
	if err != nil {
		return "", fmt.Errorf("kraken: %w: KYC URL does not parse", kyc.ErrInvalidArgument)
	}
	// token first, as in the docs; the extra parameters after it.
	q := "token=" + url.QueryEscape(tok)
	if ls.provider != "" {
		q += "&provider=" + url.QueryEscape(ls.provider)
	}
	if ls.wallet != "" {
		q += "&walletAddress=" + url.QueryEscape(ls.wallet)
	}
	u.RawQuery = q
	return u.String(), nil
}

// apiToken mints an API token valid for lifetime (at most MaxTokenLifetime).
func (c *Config) apiToken(lifetime time.Duration) (string, time.Time, error) {
	now := c.now()
	iat := now.Unix()
	exp := iat + int64(lifetime/time.Second)
	tok, err := sign(c.Key, apiClaims{API: true, ClientID: c.ClientID, IAT: iat, EXP: exp})
	if err != nil {
		return "", time.Time{}, err
	}
	// The cache keeps the token until the exp it carries, read on the same
	// clock (NewClient gives the cache c.now).
	return tok, time.Unix(exp, 0), nil
}
