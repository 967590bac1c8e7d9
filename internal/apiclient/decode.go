package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/kycgo/kyc"
)

// decode reads the whole body (at most the size cap) into one buffer and
// decodes it in one call. The buffer is sized from Content-Length when the
// reply has one within the cap, so a large page is read without growing
// it; a Content-Length above the cap fails before anything is read, and a
// body longer than it declared is cut off by net/http. Without a
// Content-Length the buffer grows, never beyond the cap plus one byte.
// Only whitespace may follow the JSON value. A body cut short never
// reaches the decoder: net/http reports the missing bytes as
// io.ErrUnexpectedEOF, and an incomplete JSON value is an error too.
//
// The decoder is encoding/json v2's (github.com/go-json-experiment/json)
// with the options that give encoding/json's semantics (case-insensitive
// field names, duplicate keys, invalid UTF-8 replaced, the models' own
// UnmarshalJSON methods called with the raw value): it decodes in one
// pass, where encoding/json scans the value once to validate it and again
// to decode it.
func (c *Client) decode(resp *http.Response, out any) error {
	buf, err := readCapped(resp.Body, resp.ContentLength, c.maxBody)
	if err != nil {
		return err
	}
	return unmarshalStrict(buf, out)
}

// maxPrealloc bounds the buffer allocated up front from a declared
// Content-Length: a larger body (allowed by a larger cap) grows the buffer
// as it arrives, so a length the server only claims costs nothing.
const maxPrealloc = 64 << 20

// readCapped reads body to EOF, at most limit bytes; more is
// kyc.ErrResponseTooLarge.
func readCapped(body io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength > limit {
		return nil, kyc.ErrResponseTooLarge
	}
	// over is one byte past the limit: reading it proves the body too
	// large. A limit of math.MaxInt64 has no such byte.
	over := limit
	if over < math.MaxInt64 {
		over++
	}
	size := int64(4 << 10)
	if contentLength >= 0 {
		size = min(contentLength, maxPrealloc-1) + 1 // +1: reading EOF needs no growth
	}
	buf := make([]byte, 0, min(size, over))
	for {
		if len(buf) == cap(buf) {
			// Double, but never beyond one byte over the limit.
			buf = slices.Grow(buf, int(min(int64(cap(buf)), over-int64(len(buf)))))
		}
		n, err := body.Read(buf[len(buf):min(int64(cap(buf)), over)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, kyc.ErrResponseTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, io.ErrUnexpectedEOF
			}
			// A read error (timeout, reset): keep it for errors.Is, it
			// holds no body bytes.
			return nil, fmt.Errorf("reading response body: %w", err)
		}
	}
}

// errTrailingData is a body with more than whitespace after its value.
var errTrailingData = errors.New("unexpected data after JSON value")

// Unmarshal decodes the one JSON value of b into out exactly as the client
// decodes a response body (encoding/json's semantics; trailing data is an
// error). Model packages' tests use it to check their types against it.
func Unmarshal(b []byte, out any) error { return unmarshalStrict(b, out) }

// unmarshalStrict decodes the one JSON value of b into out.
func unmarshalStrict(b []byte, out any) error {
	err := jsonv1.Unmarshal(b, out)
	if err == nil {
		return nil
	}
	var syn *jsonv1.SyntaxError
	if errors.As(err, &syn) {
		if isBlank(b) || syn.Offset >= int64(len(b)) {
			// Empty or cut short.
			return io.ErrUnexpectedEOF
		}
		if jsontext.NewDecoder(bytes.NewReader(b)).SkipValue() == nil {
			// A complete value, then something else.
			return errTrailingData
		}
	}
	return sanitizeJSONError(err)
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// sanitizeJSONError keeps the kind and offset of a JSON error, never the
// bytes. The errors come from the decoder (jsonv1) or from a model's own
// UnmarshalJSON (encoding/json).
func sanitizeJSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("invalid JSON at offset %d", syn.Offset)
	}
	var syn1 *jsonv1.SyntaxError
	if errors.As(err, &syn1) {
		return fmt.Errorf("invalid JSON at offset %d", syn1.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("JSON %s where field %q expects %s", typ.Value, typ.Field, typ.Type)
	}
	var typ1 *jsonv1.UnmarshalTypeError
	if errors.As(err, &typ1) {
		return fmt.Errorf("JSON %s where field %q expects %s", typ1.Value, typ1.Field, typ1.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	// A read error (timeout, reset): keep it for errors.Is, it holds no body bytes.
	return fmt.Errorf("reading response body: %w", err)
}

func (c *Client) decodeFailure(ctx context.Context, hreq *http.Request, resp *http.Response, err error) error {
	if errors.Is(err, kyc.ErrResponseTooLarge) {
		return &kyc.SizeError{Method: hreq.Method, Path: pathOf(hreq), Limit: c.maxBody}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kyc: %s %s: reading response: %w", hreq.Method, pathOf(hreq), ctxErr)
	}
	return &kyc.DecodeError{Method: hreq.Method, Path: pathOf(hreq), StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Err: err}
}

// maxDrain is how much of an unread body is read before closing it, so
// its connection can be reused; a longer body costs the connection.
const maxDrain = 64 << 10

// closeBody drains a little of the body so the connection can be reused, then closes it.
func closeBody(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, maxDrain))
	_ = rc.Close()
}

// limitedBody reads at most remaining bytes and reports kyc.ErrResponseTooLarge beyond.
type limitedBody struct {
	rc        io.ReadCloser
	remaining int64
	exceeded  bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, kyc.ErrResponseTooLarge
	}
	if l.remaining <= 0 {
		// Probe for one more byte: exactly at the cap is fine.
		var one [1]byte
		n, err := l.rc.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, kyc.ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.remaining {
		p = p[:l.remaining]
	}
	n, err := l.rc.Read(p)
	l.remaining -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }
