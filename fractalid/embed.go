package fractalid

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/kycgo/kyc"
)

// The embedded journey (reference section 2.8): the authorization URL
// (Config.AuthCodeURL, with WithLoginMethod, WithWalletCurrency and
// WithEnsureWallet as needed) is the src of an iframe. The journey does not
// redirect: it posts a message to the parent page, whose script checks the
// event's origin (Config.EmbedOrigin) and forwards event.data to the
// backend as JSON; the backend reads it with Config.ParseEmbedMessage and
// exchanges the code with Config.Exchange.
const (
	// EmbedAllow is the value of the iframe's allow attribute that the
	// journey needs (camera for the document and liveness steps).
	EmbedAllow = "camera *; fullscreen *"
	// EmbedSandbox is the value of the iframe's sandbox attribute that the
	// journey needs.
	EmbedSandbox = "allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-same-origin allow-scripts"
)

// MaxEmbedMessageBytes is the largest message ParseEmbedMessage reads.
const MaxEmbedMessageBytes = 64 << 10

// EmbedErrorCode is the Code of the *AuthError for a failure message whose
// error value holds no well-formed error code (its shape is not
// documented): the value is in AuthError.Raw.
const EmbedErrorCode = "embedded_journey_error"

// ErrMalformedEmbedMessage is returned by ParseEmbedMessage for a message
// that is not a JSON object, is too large, or has a field of the wrong type.
var ErrMalformedEmbedMessage = errors.New("fractalid: malformed embedded journey message")

// EmbedMessageKind says what a message of the embedded journey asks for.
type EmbedMessageKind int

const (
	// EmbedCompleted is the completion message: Code holds the
	// authorization code, to exchange with Config.Exchange.
	EmbedCompleted EmbedMessageKind = iota + 1
	// EmbedOpenWindow asks the parent page to call window.open(Open,
	// Target, Features) on the iframe's behalf (wallet sign-in, such as
	// MetaMask deep links). It is the front end's job; the backend only
	// learns that the journey is not finished.
	EmbedOpenWindow
)

// String names the kind.
func (k EmbedMessageKind) String() string {
	switch k {
	case EmbedCompleted:
		return "completed"
	case EmbedOpenWindow:
		return "open_window"
	}
	return fmt.Sprintf("EmbedMessageKind(%d)", int(k))
}

// EmbedMessage is a message of the embedded journey that is not a failure
// (failures are returned as *AuthError). It never prints the code, sub1 or
// the window URL: String, GoString, Format and LogValue show the kind and
// the window target only.
type EmbedMessage struct {
	// Kind is EmbedCompleted or EmbedOpenWindow.
	Kind EmbedMessageKind
	// Code is the authorization code (EmbedCompleted). Secret.
	Code string
	// Sub1 is the undocumented sub1 field of the completion message (its
	// documented example equals the code): kept as sent, never printed.
	Sub1 string
	// Open, Target and Features are window.open's arguments (EmbedOpenWindow).
	Open, Target, Features string
}

// String prints the kind and, for a window request, the target.
func (m EmbedMessage) String() string {
	if m.Kind == EmbedOpenWindow {
		return "fractalid.EmbedMessage{kind=" + m.Kind.String() + " target=" + safeToken(m.Target) + "}"
	}
	return "fractalid.EmbedMessage{kind=" + m.Kind.String() + "}"
}

// GoString prints the same as String.
func (m EmbedMessage) GoString() string { return m.String() }

// Format makes every fmt verb print String.
func (m EmbedMessage) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(m.String())) }

// LogValue implements slog.LogValuer with the kind and target only.
func (m EmbedMessage) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", m.Kind.String()), slog.String("target", m.Target))
}

// EmbedOrigin is the origin the embedded journey's messages come from: the
// parent page must ignore any message whose event.origin differs.
// MessageOrigin when set, else the origin of FrontendURL. For Production
// it is the documented https://app.fractal.id; for Staging the reference
// only infers it (https://app.staging.sandbox.fractal.id): set
// MessageOrigin if staging says otherwise. The zero Environment has no
// origin (""); Config.EmbedOrigin resolves it to Production's, as the
// Config's other flows do.
func (e Environment) EmbedOrigin() string {
	if e.MessageOrigin != "" {
		return strings.TrimRight(e.MessageOrigin, "/")
	}
	u, err := url.Parse(e.FrontendURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// EmbedOrigin is the origin the embedded journey's messages come from for
// this configuration: the EmbedOrigin of its Environment, where the zero
// Environment means Production (https://app.fractal.id), as in every other
// flow of the Config. The parent page must ignore any message whose
// event.origin differs. Prefer it to c.Environment.EmbedOrigin(), which is
// "" for the zero Environment, an origin no message matches.
func (c Config) EmbedOrigin() string { return c.env().EmbedOrigin() }

// ParseEmbedMessage reads the message the embedded journey posted to the
// parent page (event.data, forwarded by the front end as JSON). data must be
// a JSON object of at most MaxEmbedMessageBytes. The three documented forms:
//
//   - error present: a failure or rejection. The error's shape is not
//     documented: it is returned as an *AuthError (errors.Is
//     ErrAuthorizationFailed) whose Raw holds the error value as sent and
//     whose Code is the value when it is a well-formed error code string
//     (else the "code" or "error" string inside an object, else
//     EmbedErrorCode). Raw may carry free text: it is never printed. A
//     state sent with the failure must match wantState.
//   - open, target or features present: a window request, returned as an
//     EmbedMessage of kind EmbedOpenWindow.
//   - otherwise the completion: state is checked against wantState exactly
//     as ParseCallback does (one state, compared in constant time, else a
//     *StateMismatchError), then code must be a non-empty string (else
//     ErrMissingCode). Exchange the returned Code with Exchange (or
//     ExchangeWithVerifier under WithPKCE).
//
// No returned error holds the code, the state or the error value.
func (c Config) ParseEmbedMessage(data []byte, wantState string) (*EmbedMessage, error) {
	if wantState == "" {
		return nil, fmt.Errorf("fractalid: %w: the expected state is empty", kyc.ErrInvalidArgument)
	}
	if len(data) > MaxEmbedMessageBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformedEmbedMessage, MaxEmbedMessageBytes)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedEmbedMessage)
	}
	str := func(k string) (string, bool, error) {
		raw, ok := m[k]
		if !ok || string(raw) == "null" {
			return "", ok, nil
		}
		s, isStr := jsonString(raw)
		if !isStr {
			return "", true, fmt.Errorf("%w: %s is not a string", ErrMalformedEmbedMessage, k)
		}
		return s, true, nil
	}
	state, hasState, err := str("state")
	if err != nil {
		return nil, err
	}
	if raw, ok := m["error"]; ok {
		if hasState && !constantTimeEqual(state, wantState) {
			return nil, &StateMismatchError{}
		}
		return nil, embedAuthError(raw)
	}
	_, hasOpen := m["open"]
	_, hasTarget := m["target"]
	_, hasFeatures := m["features"]
	if hasOpen || hasTarget || hasFeatures {
		msg := &EmbedMessage{Kind: EmbedOpenWindow}
		for k, dst := range map[string]*string{"open": &msg.Open, "target": &msg.Target, "features": &msg.Features} {
			if *dst, _, err = str(k); err != nil {
				return nil, err
			}
		}
		return msg, nil
	}
	if !hasState || state == "" {
		return nil, &StateMismatchError{Missing: true}
	}
	if !constantTimeEqual(state, wantState) {
		return nil, &StateMismatchError{}
	}
	code, _, err := str("code")
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, ErrMissingCode
	}
	sub1, _, err := str("sub1")
	if err != nil {
		return nil, err
	}
	return &EmbedMessage{Kind: EmbedCompleted, Code: code, Sub1: sub1}, nil
}

// maxEmbedErrorRaw caps AuthError.Raw.
const maxEmbedErrorRaw = 4 << 10

// embedAuthError builds the *AuthError of a failure message.
func embedAuthError(raw json.RawMessage) *AuthError {
	code := EmbedErrorCode
	if s, ok := jsonString(raw); ok {
		if isPlainCode(s) {
			code = s
		}
	} else {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			for _, k := range []string{"code", "error"} {
				if s, ok := jsonString(obj[k]); ok && isPlainCode(s) {
					code = s
					break
				}
			}
		}
	}
	e := &AuthError{Code: code}
	if len(raw) <= maxEmbedErrorRaw {
		e.Raw = append(json.RawMessage(nil), raw...)
	}
	return e
}

// isPlainCode accepts error codes made of lower-case letters, digits and
// "_.-" only (at most 64 bytes): the error's shape is unknown, so anything
// that could be free text stays in Raw.
func isPlainCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
