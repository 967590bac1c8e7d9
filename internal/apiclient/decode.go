package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

func (c *Client) decode(resp *http.Response, out any) error {
	lr := &limitedBody{rc: resp.Body, remaining: c.maxBody}
	dec := json.NewDecoder(lr)
	if err := dec.Decode(out); err != nil {
		if lr.exceeded {
			return ErrResponseTooLarge
		}
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return sanitizeJSONError(err)
	}
	// Only whitespace may follow the value.
	var extra [1]byte
	buffered := dec.Buffered()
	for {
		n, err := buffered.Read(extra[:])
		if n == 1 {
			if !isSpace(extra[0]) {
				return errors.New("unexpected data after JSON value")
			}
			continue
		}
		if err != nil {
			break
		}
	}
	for {
		n, err := lr.Read(extra[:])
		if n == 1 && !isSpace(extra[0]) {
			return errors.New("unexpected data after JSON value")
		}
		if err != nil {
			if lr.exceeded {
				return ErrResponseTooLarge
			}
			break
		}
	}
	return nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// sanitizeJSONError keeps the kind and offset of a JSON error, never the bytes.
func sanitizeJSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("invalid JSON at offset %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("JSON %s where field %q expects %s", typ.Value, typ.Field, typ.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	// A read error (timeout, reset): keep it for errors.Is, it holds no body bytes.
	return fmt.Errorf("reading response body: %w", err)
}

func (c *Client) decodeFailure(ctx context.Context, hreq *http.Request, resp *http.Response, err error) error {
	if errors.Is(err, ErrResponseTooLarge) {
		return &SizeError{Method: hreq.Method, Path: hreq.URL.Path, Limit: c.maxBody}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kyc: %s %s: reading response: %w", hreq.Method, hreq.URL.Path, ctxErr)
	}
	return &DecodeError{Method: hreq.Method, Path: hreq.URL.Path, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Err: err}
}

// maxDrain is how much of an unread body is read before closing it, so
// its connection can be reused; a longer body costs the connection.
const maxDrain = 64 << 10

// closeBody drains a little of the body so the connection can be reused, then closes it.
func closeBody(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, maxDrain))
	_ = rc.Close()
}

// limitedBody reads at most remaining bytes and reports ErrResponseTooLarge beyond.
type limitedBody struct {
	rc        io.ReadCloser
	remaining int64
	exceeded  bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, ErrResponseTooLarge
	}
	if l.remaining <= 0 {
		// Probe for one more byte: exactly at the cap is fine.
		var one [1]byte
		n, err := l.rc.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, ErrResponseTooLarge
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
