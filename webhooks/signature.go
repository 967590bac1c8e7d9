package webhooks

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
)

// SignatureHeader is the HTTP header in which Fractal ID sends the signature
// of a notification. Header names are case-insensitive: read it with
// [net/http.Header.Get], which finds "x-fractal-signature" as well.
const SignatureHeader = "X-Fractal-Signature"

// SignaturePrefix is the scheme prefix of a Fractal ID signature header
// value: the full value is SignaturePrefix followed by 40 hex digits.
const SignaturePrefix = "sha1="

const (
	sha1HexLen   = 2 * sha1.Size
	sha256HexLen = 2 * sha256.Size
	blockSize    = 64 // sha1.BlockSize == sha256.BlockSize
)

// Errors returned by [Verify], [VerifyKraken], [Verifier.Verify],
// [Verifier.VerifyRequest] and [Parse]. Compare them with [errors.Is]. No
// error returned by this package contains the signature, the secret or the
// body it was given.
var (
	// ErrNoSecret is returned when the secret is empty or, for a Verifier,
	// when no secret is configured for the notification's type. An empty
	// secret never verifies anything.
	ErrNoSecret = errors.New("webhooks: no webhook secret configured")

	// ErrMissingSignature is returned when the signature header is absent
	// or empty.
	ErrMissingSignature = errors.New("webhooks: missing " + SignatureHeader + " header")

	// ErrMalformedSignature is returned when the signature header is not of
	// the form "sha1=" followed by 40 hex digits (or, for the Kraken scheme,
	// 64 hex digits with no prefix). The finer errors ErrSignaturePrefix,
	// ErrSignatureLength, ErrSignatureEncoding, ErrSignatureTrailingData and
	// ErrMultipleSignatures all match ErrMalformedSignature with errors.Is.
	ErrMalformedSignature = errors.New("webhooks: malformed " + SignatureHeader + " header")

	// ErrSignatureMismatch is returned when the signature is well formed but
	// was not made over this payload with any of the candidate secrets.
	ErrSignatureMismatch = errors.New("webhooks: signature does not match payload")

	// ErrPayloadTooLarge is returned when a body exceeds the configured size
	// limit. Nothing is verified or parsed.
	ErrPayloadTooLarge = errors.New("webhooks: payload too large")

	// ErrInvalidPayload is returned by [Parse] (and by a Verifier after a
	// successful verification) when the body is not a JSON notification.
	ErrInvalidPayload = errors.New("webhooks: invalid notification payload")
)

// Finer kinds of [ErrMalformedSignature]. Each matches both itself and
// ErrMalformedSignature with [errors.Is].
var (
	// ErrSignaturePrefix: the value does not start with "sha1=" (or, for
	// the Kraken scheme, carries a prefix it must not have).
	ErrSignaturePrefix error = &malformedError{"webhooks: malformed " + SignatureHeader + " header: wrong scheme prefix"}

	// ErrSignatureLength: the digest does not have the expected number of
	// hex digits (40 for SHA-1, 64 for the Kraken scheme).
	ErrSignatureLength error = &malformedError{"webhooks: malformed " + SignatureHeader + " header: wrong digest length"}

	// ErrSignatureEncoding: the digest has the right length but contains a
	// character that is not a hex digit.
	ErrSignatureEncoding error = &malformedError{"webhooks: malformed " + SignatureHeader + " header: digest is not hex"}

	// ErrSignatureTrailingData: a complete digest is followed by further
	// bytes (whitespace, a second value, ...). Values are never trimmed.
	ErrSignatureTrailingData error = &malformedError{"webhooks: malformed " + SignatureHeader + " header: trailing data after digest"}

	// ErrMultipleSignatures: the request carries the signature header more
	// than once. Only [Verifier.VerifyRequest] and the handler report it.
	ErrMultipleSignatures error = &malformedError{"webhooks: malformed request: more than one " + SignatureHeader + " header"}
)

// malformedError is a sentinel that also matches ErrMalformedSignature.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return e.msg }
func (e *malformedError) Unwrap() error { return ErrMalformedSignature }

// Sign returns the X-Fractal-Signature header value for payload: "sha1="
// followed by the lower-case hex HMAC-SHA1 of payload, keyed with the bytes
// of secret. Use it to sign test notifications. The secret is the webhook
// secret token of the notification type (used as-is, even when it looks like
// hex), not the OAuth client secret. A value signed with an empty secret is
// never accepted by [Verify].
func Sign(payload []byte, secret string) string {
	var mac [sha1.Size]byte
	hmacSHA1(&mac, secret, payload)
	var out [len(SignaturePrefix) + sha1HexLen]byte
	copy(out[:], SignaturePrefix)
	encodeHex(out[len(SignaturePrefix):], mac[:])
	return string(out[:])
}

// Verify reports whether signature, the value of the X-Fractal-Signature
// header, is the HMAC-SHA1 of payload under secret. It returns nil only when
// signature equals Sign(payload, secret); hex digits are accepted in either
// case, everything else must match exactly (no trimming). The comparison is
// constant-time and Verify does not allocate.
//
// payload must be the raw request body, byte for byte, as received: never a
// body that was decoded and re-encoded, which changes the bytes and breaks
// the signature. secret is the webhook secret token that Fractal shows for
// the notification type, not the OAuth client secret.
//
// The errors are [ErrNoSecret], [ErrMissingSignature], [ErrMalformedSignature]
// (one of its finer kinds) and [ErrSignatureMismatch]. Fractal signs no
// timestamp, so a captured notification can be replayed; deduplicate (see
// [Deduplicator]) and treat notifications as hints to re-read the user.
func Verify(payload []byte, signature, secret string) error {
	if secret == "" {
		return ErrNoSecret
	}
	var got [sha1.Size]byte
	if err := parseSHA1Signature(&got, signature); err != nil {
		return err
	}
	var want [sha1.Size]byte
	hmacSHA1(&want, secret, payload)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrSignatureMismatch
	}
	return nil
}

// SignKraken returns the X-Fractal-Signature header value that Fractal's
// newer "Kraken" platform sends: the lower-case hex HMAC-SHA256 of payload
// keyed with secret, with no prefix.
func SignKraken(payload []byte, secret string) string {
	var mac [sha256.Size]byte
	hmacSHA256(&mac, secret, payload)
	var out [sha256HexLen]byte
	encodeHex(out[:], mac[:])
	return string(out[:])
}

// VerifyKraken is [Verify] for the Kraken scheme: signature must be 64 hex
// digits (either case, no prefix) equal to the HMAC-SHA256 of the raw
// payload under secret. It does not allocate.
func VerifyKraken(payload []byte, signature, secret string) error {
	if secret == "" {
		return ErrNoSecret
	}
	var got [sha256.Size]byte
	if err := parseKrakenSignature(&got, signature); err != nil {
		return err
	}
	var want [sha256.Size]byte
	hmacSHA256(&want, secret, payload)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrSignatureMismatch
	}
	return nil
}

// parseSHA1Signature decodes "sha1=<40 hex>" into dst.
func parseSHA1Signature(dst *[sha1.Size]byte, sig string) error {
	if sig == "" {
		return ErrMissingSignature
	}
	if !strings.HasPrefix(sig, SignaturePrefix) {
		return ErrSignaturePrefix
	}
	return decodeDigest(dst[:], sig[len(SignaturePrefix):])
}

// parseKrakenSignature decodes "<64 hex>" into dst.
func parseKrakenSignature(dst *[sha256.Size]byte, sig string) error {
	if sig == "" {
		return ErrMissingSignature
	}
	// A scheme label such as "sha256=" or "sha1=" is not part of the Kraken
	// format; report it as a prefix error rather than a length error.
	if i := strings.IndexByte(sig, '='); i >= 0 && i <= 10 {
		return ErrSignaturePrefix
	}
	return decodeDigest(dst[:], sig)
}

// decodeDigest decodes exactly 2*len(dst) hex digits from s into dst.
func decodeDigest(dst []byte, s string) error {
	n := 2 * len(dst)
	if len(s) > n && isHexString(s[:n]) && unhex(s[n]) > 0xf {
		return ErrSignatureTrailingData
	}
	if len(s) != n {
		return ErrSignatureLength
	}
	var bad byte
	for i := range dst {
		hi, lo := unhex(s[2*i]), unhex(s[2*i+1])
		bad |= (hi | lo) & 0xf0
		dst[i] = hi<<4 | lo&0xf
	}
	if bad != 0 {
		return ErrSignatureEncoding
	}
	return nil
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) > 0xf {
			return false
		}
	}
	return true
}

// unhex returns the value of a hex digit (either case), or 0xff.
func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

const hexDigits = "0123456789abcdef"

func encodeHex(dst, src []byte) {
	for i, b := range src {
		dst[2*i] = hexDigits[b>>4]
		dst[2*i+1] = hexDigits[b&0xf]
	}
}

// hmacSHA1 computes HMAC-SHA1(key, msg) into out (RFC 2104). It keeps the
// hash state on the stack: sha1.New is inlined and its methods are
// devirtualized, so nothing escapes and no allocation happens. The result is
// checked against crypto/hmac in the tests and the fuzz target.
func hmacSHA1(out *[sha1.Size]byte, key string, msg []byte) {
	var pad [blockSize]byte
	h := sha1.New()
	if len(key) > blockSize {
		var kh [sha1.Size]byte
		for k := key; len(k) > 0; {
			n := copy(pad[:], k)
			h.Write(pad[:n])
			k = k[n:]
		}
		pad = [blockSize]byte{}
		h.Sum(kh[:0])
		h.Reset()
		copy(pad[:], kh[:])
	} else {
		copy(pad[:], key)
	}
	for i := range pad {
		pad[i] ^= 0x36
	}
	h.Write(pad[:])
	h.Write(msg)
	var inner [sha1.Size]byte
	h.Sum(inner[:0])
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	h.Reset()
	h.Write(pad[:])
	h.Write(inner[:])
	h.Sum(out[:0])
}

// hmacSHA256 is hmacSHA1 with SHA-256.
func hmacSHA256(out *[sha256.Size]byte, key string, msg []byte) {
	var pad [blockSize]byte
	h := sha256.New()
	if len(key) > blockSize {
		var kh [sha256.Size]byte
		for k := key; len(k) > 0; {
			n := copy(pad[:], k)
			h.Write(pad[:n])
			k = k[n:]
		}
		pad = [blockSize]byte{}
		h.Sum(kh[:0])
		h.Reset()
		copy(pad[:], kh[:])
	} else {
		copy(pad[:], key)
	}
	for i := range pad {
		pad[i] ^= 0x36
	}
	h.Write(pad[:])
	h.Write(msg)
	var inner [sha256.Size]byte
	h.Sum(inner[:0])
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	h.Reset()
	h.Write(pad[:])
	h.Write(inner[:])
	h.Sum(out[:0])
}
