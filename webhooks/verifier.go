package webhooks

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
)

// DefaultMaxPayloadSize is the default body size limit of a [Verifier] and
// of [NewHandler]: 1 MiB, far above any Fractal notification.
const DefaultMaxPayloadSize = 1 << 20

// A Verifier checks notifications against the secrets configured for them
// and only then parses them. Fractal gives each notification type its own
// secret token; during a rotation several secrets can be valid for a type.
//
// Build one with [NewVerifier] at start-up and share it: it is immutable and
// safe for concurrent use. Printing a Verifier never shows its secrets.
type Verifier struct {
	kraken     bool
	byType     map[EventType][]string
	defaults   []string
	maxPayload int64
}

// A VerifierOption configures a [Verifier]. Options check their arguments
// and [NewVerifier] returns the first error.
type VerifierOption func(*Verifier) error

// WithSecret adds the webhook secret tokens of one notification type, as
// shown in the Fractal dashboard (not the OAuth client secret). Give
// several to rotate: the old and the new token are both accepted until you
// remove the old one. Calling it again for the same type adds to the list.
// It fails on an empty type, no secret or an empty secret.
func WithSecret(eventType EventType, secrets ...string) VerifierOption {
	return func(v *Verifier) error {
		if eventType == "" {
			return errors.New("webhooks: WithSecret: empty event type")
		}
		if err := checkSecrets("WithSecret", secrets); err != nil {
			return err
		}
		v.byType[eventType] = append(v.byType[eventType], secrets...)
		return nil
	}
}

// WithDefaultSecrets adds secrets tried for every notification type, after
// the type's own secrets (if any). Use it when all types share one secret,
// to accept types that have no secret of their own (including types Fractal
// adds later) and for the Kraken scheme, whose notifications carry no type.
// It fails on no secret or an empty secret.
func WithDefaultSecrets(secrets ...string) VerifierOption {
	return func(v *Verifier) error {
		if err := checkSecrets("WithDefaultSecrets", secrets); err != nil {
			return err
		}
		v.defaults = append(v.defaults, secrets...)
		return nil
	}
}

// WithKrakenScheme switches the Verifier to the signature scheme of
// Fractal's newer Kraken platform: the same X-Fractal-Signature header, but
// 64 hex digits of HMAC-SHA256 with no prefix (see [SignKraken]). A Kraken
// Verifier accepts only that scheme (the algorithm is never chosen by the
// sender), parses bodies with [ParseKraken] and needs
// [WithDefaultSecrets], since Kraken notifications have no type. Off by
// default.
func WithKrakenScheme() VerifierOption {
	return func(v *Verifier) error {
		v.kraken = true
		return nil
	}
}

// WithMaxPayloadSize sets the largest body, in bytes, that
// [Verifier.Verify] and [Verifier.VerifyRequest] accept; larger ones fail
// with [ErrPayloadTooLarge]. The default is [DefaultMaxPayloadSize]. It
// fails unless n > 0.
func WithMaxPayloadSize(n int64) VerifierOption {
	return func(v *Verifier) error {
		if n <= 0 {
			return errors.New("webhooks: WithMaxPayloadSize: size must be positive")
		}
		v.maxPayload = n
		return nil
	}
}

func checkSecrets(opt string, secrets []string) error {
	if len(secrets) == 0 {
		return fmt.Errorf("webhooks: %s: %w (no secret given)", opt, ErrNoSecret)
	}
	for i, s := range secrets {
		if s == "" {
			return fmt.Errorf("webhooks: %s: %w (secret %d is empty)", opt, ErrNoSecret, i+1)
		}
	}
	return nil
}

// NewVerifier returns a Verifier configured by opts. At least one secret
// must be configured, with [WithSecret] or [WithDefaultSecrets]; otherwise
// the error matches [ErrNoSecret]. With [WithKrakenScheme], per-type
// secrets are refused.
func NewVerifier(opts ...VerifierOption) (*Verifier, error) {
	v := &Verifier{byType: make(map[EventType][]string), maxPayload: DefaultMaxPayloadSize}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(v); err != nil {
			return nil, err
		}
	}
	if v.kraken && len(v.byType) > 0 {
		return nil, errors.New("webhooks: WithKrakenScheme: Kraken notifications have no type; use WithDefaultSecrets instead of WithSecret")
	}
	if len(v.byType) == 0 && len(v.defaults) == 0 {
		return nil, fmt.Errorf("webhooks: NewVerifier: %w (use WithSecret or WithDefaultSecrets)", ErrNoSecret)
	}
	return v, nil
}

// Verify checks signature, the X-Fractal-Signature header value, against
// payload, the raw request body exactly as received (never a re-serialised
// body), and returns the parsed notification only when it matches. When
// per-type secrets are configured, Verify reads the "type" field to choose
// the candidate secrets (the type's own, then the defaults); nothing else
// of the body is used before the signature is checked, and an Event is
// returned only for a verified body. Each candidate is compared in
// constant time.
//
// Errors: [ErrPayloadTooLarge], [ErrMissingSignature],
// [ErrMalformedSignature] (and its finer kinds), [ErrNoSecret] when no
// secret applies to the type, [ErrSignatureMismatch], and, for a verified
// body that is not a valid notification, [ErrInvalidPayload].
func (v *Verifier) Verify(payload []byte, signature string) (*Event, error) {
	return v.verify(payload, signature, false)
}

// verify is Verify; with owned, the payload belongs to the caller of
// verify alone (the handler's body buffer) and Event.Data may share it.
func (v *Verifier) verify(payload []byte, signature string, owned bool) (*Event, error) {
	if int64(len(payload)) > v.maxPayload {
		return nil, ErrPayloadTooLarge
	}
	if v.kraken {
		var got [sha256.Size]byte
		if err := parseKrakenSignature(&got, signature); err != nil {
			return nil, err
		}
		var want [sha256.Size]byte
		for _, s := range v.defaults {
			hmacSHA256(&want, s, payload)
			if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
				return ParseKraken(payload)
			}
		}
		return nil, ErrSignatureMismatch
	}

	var got [sha1.Size]byte
	if err := parseSHA1Signature(&got, signature); err != nil {
		return nil, err
	}
	var env *envelope
	candidates := [2][]string{nil, v.defaults}
	if len(v.byType) > 0 {
		// Read the type to choose the secrets. The parse after
		// verification reads the type the same way (the fast path when it
		// applies, else the envelope decoded here), so the type whose
		// secret verified the body is the type of the returned event. An
		// unreadable body leaves only the default secrets.
		if typ, ok := scanType(payload); ok {
			candidates[0] = v.byType[typ]
		} else {
			env = new(envelope)
			if json.Unmarshal(payload, env) == nil {
				candidates[0] = v.byType[env.Type]
			} else {
				env = nil
			}
		}
	}
	if len(candidates[0]) == 0 && len(candidates[1]) == 0 {
		return nil, errNoSecretForType
	}
	var want [sha1.Size]byte
	for _, list := range candidates {
		for _, s := range list {
			hmacSHA1(&want, s, payload)
			if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
				if env != nil {
					return parseEnvelope(env)
				}
				return parse(payload, owned)
			}
		}
	}
	return nil, ErrSignatureMismatch
}

var errNoSecretForType = fmt.Errorf("%w for this notification type", ErrNoSecret)

// VerifyRequest reads r's body (at most the Verifier's size limit, see
// [WithMaxPayloadSize]), verifies it against r's X-Fractal-Signature header
// with [Verifier.Verify] and returns the event. The body bytes are put back
// on r.Body, so a handler can still read them. Besides Verify's errors it
// returns [ErrMultipleSignatures] when the header appears more than once,
// and the read error (wrapped) when the body cannot be read.
//
// It does not check the method; [NewHandler] does.
func (v *Verifier) VerifyRequest(r *http.Request) (*Event, error) {
	sig, err := signatureFromHeader(r.Header)
	if err != nil {
		return nil, err
	}
	body, err := readBody(r.Body, r.ContentLength, v.maxPayload)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return v.Verify(body, sig)
}

// signatureFromHeader returns the single signature header value.
func signatureFromHeader(h http.Header) (string, error) {
	vals := h.Values(SignatureHeader)
	switch len(vals) {
	case 0:
		return "", ErrMissingSignature
	case 1:
		return vals[0], nil
	}
	return "", ErrMultipleSignatures
}

// readBody reads at most limit bytes from body; more is ErrPayloadTooLarge.
func readBody(body io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength > limit {
		return nil, ErrPayloadTooLarge
	}
	if body == nil || body == http.NoBody {
		return []byte{}, nil
	}
	size := int64(512)
	if contentLength > 0 {
		size = contentLength + 1 // +1 so that reading EOF needs no growth
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	n, err := buf.ReadFrom(io.LimitReader(body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, ErrPayloadTooLarge
		}
		return nil, &readError{err}
	}
	if n > limit {
		return nil, ErrPayloadTooLarge
	}
	return buf.Bytes(), nil
}

// readError wraps a body read failure without adding anything to it.
type readError struct{ err error }

func (e *readError) Error() string { return "webhooks: reading request body: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// String describes the configuration without secrets.
func (v *Verifier) String() string {
	if v == nil {
		return "<nil>"
	}
	scheme := "sha1"
	if v.kraken {
		scheme = "kraken-sha256"
	}
	n := len(v.defaults)
	for _, s := range v.byType {
		n += len(s)
	}
	return "webhooks.Verifier{scheme:" + scheme + " types:" + strconv.Itoa(len(v.byType)) +
		" defaults:" + strconv.Itoa(len(v.defaults)) + " secrets:" + strconv.Itoa(n) + "}"
}

// GoString is String, so that %#v does not print secrets.
func (v *Verifier) GoString() string { return v.String() }

// LogValue logs the configuration without secrets.
func (v *Verifier) LogValue() slog.Value { return slog.StringValue(v.String()) }
