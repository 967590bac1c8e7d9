// Package secret holds the Secret type that package integrations and
// package incode re-export (integrations.Secret, incode.Secret). It lives in
// its own leaf package so that integrations can import incode (for its
// builders) while incode can still take a Secret.
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Redacted is what a non-empty Secret prints as, through every path.
const Redacted = "[redacted]"

// Empty is what an empty Secret prints as through String, GoString, fmt
// and slog. JSON and text marshalling give "" for an empty Secret instead,
// so that settings round-trip.
const Empty = "[empty]"

// ErrPlaceholder is returned when a settings file holds the redaction
// placeholder "[redacted]" where a secret value belongs: the file was
// written from a marshalled (redacted) copy and the real value is lost.
var ErrPlaceholder = errors.New("secret holds the redaction placeholder " + strconv.Quote(Redacted) + ", not a value")

// Secret holds a secret value (a client secret, an API key, a webhook
// token). It prints as "[redacted]" through String, GoString, every fmt
// verb, slog and JSON/text marshalling; an empty Secret prints as "[empty]"
// (and marshals as ""). The value is reachable only through Reveal.
//
// The zero value is an empty Secret. Secrets are values: copy them freely.
// The value is held by a closure behind a pointer, so that even fmt's
// reflection over an unexported struct field holding a Secret (where no
// method can be called) prints a function address, never the value.
type Secret struct {
	p *value
}

type value struct{ get func() string }

// New returns a Secret holding s ("" gives an empty Secret).
func New(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{p: &value{get: func() string { return s }}}
}

// Reveal returns the secret value. It is the only way to read it: call it
// at the point where the value is sent, never to log or print it.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return s.p.get()
}

// IsZero reports whether the Secret is empty. It makes the json "omitzero"
// option leave out empty secrets.
func (s Secret) IsZero() bool { return s.p == nil }

// Len is the length of the value in bytes (for validation messages such as
// "too short", which never print the value).
func (s Secret) Len() int { return len(s.Reveal()) }

// Equal reports, in constant time, whether s and t hold the same value.
// Both values are hashed first, so the time taken does not depend on
// where they differ or on their lengths.
func (s Secret) Equal(t Secret) bool { return EqualString(s, t.Reveal()) }

// EqualString reports, in constant time, whether s holds v.
func EqualString(s Secret, v string) bool {
	a := sha256.Sum256([]byte(s.Reveal()))
	b := sha256.Sum256([]byte(v))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (s Secret) display() string {
	if s.IsZero() {
		return Empty
	}
	return Redacted
}

// String returns "[redacted]", or "[empty]" for an empty Secret.
func (s Secret) String() string { return s.display() }

// GoString returns "[redacted]", or "[empty]" for an empty Secret.
func (s Secret) GoString() string { return s.display() }

// Format implements fmt.Formatter: every verb (%v %+v %#v %s %q %x %X %d
// ...) prints "[redacted]" ("[empty]" for an empty Secret); %q quotes it.
func (s Secret) Format(f fmt.State, verb rune) {
	out := s.display()
	if verb == 'q' {
		out = strconv.Quote(out)
	}
	_, _ = io.WriteString(f, out)
}

// LogValue implements slog.LogValuer: "[redacted]" or "[empty]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.display()) }

// MarshalJSON returns "[redacted]", or "" for an empty Secret.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s.IsZero() {
		return []byte(`""`), nil
	}
	return []byte(`"` + Redacted + `"`), nil
}

// MarshalText returns "[redacted]", or nothing for an empty Secret.
func (s Secret) MarshalText() ([]byte, error) {
	if s.IsZero() {
		return []byte{}, nil
	}
	return []byte(Redacted), nil
}

// UnmarshalJSON reads the real value from a JSON string (a settings file).
// null leaves the Secret empty. The placeholder "[redacted]" is refused
// with ErrPlaceholder. Errors never contain the value.
func (s *Secret) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = Secret{}
		return nil
	}
	if len(b) == 0 || b[0] != '"' {
		return errors.New("secret must be a JSON string")
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("secret is not a valid JSON string")
	}
	return s.UnmarshalText([]byte(v))
}

// UnmarshalText reads the real value. The placeholder "[redacted]" is
// refused with ErrPlaceholder.
func (s *Secret) UnmarshalText(b []byte) error {
	if string(b) == Redacted {
		return ErrPlaceholder
	}
	*s = New(string(b))
	return nil
}
