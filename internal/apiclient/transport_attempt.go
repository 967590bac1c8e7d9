package apiclient

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// attemptTransport counts, times out and logs each attempt.
type attemptTransport struct {
	next   http.RoundTripper
	logger *slog.Logger
	tracer trace.Tracer // nil: tracing off
	// timeout bounds each attempt, reading its body included (0: none);
	// a call's own timeout (CallSettings.Timeout) replaces it.
	timeout time.Duration
}

// errAttemptTimeout is the cause of an attempt that did not complete
// (reply and body) within the per-attempt timeout. It matches
// context.DeadlineExceeded with errors.Is, and its Timeout method reports
// true.
var errAttemptTimeout error = attemptTimeoutError{}

type attemptTimeoutError struct{}

func (attemptTimeoutError) Error() string { return "kyc: per-attempt timeout exceeded" }
func (attemptTimeoutError) Timeout() bool { return true }
func (attemptTimeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	attempt := 1
	timeout := t.timeout
	if st != nil {
		st.attempts++
		attempt = st.attempts
		if st.call != nil && st.call.Timeout > 0 {
			timeout = st.call.Timeout
		}
	}
	var cancel context.CancelFunc
	if timeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeoutCause(req.Context(), timeout, errAttemptTimeout)
		req = req.WithContext(ctx)
	}
	start := time.Now()
	var resp *http.Response
	var err error
	if t.tracer != nil {
		resp, err = t.traced(req, st, attempt, start)
	} else {
		resp, err = t.next.RoundTrip(req)
		t.log(req, attempt, start, resp, err)
	}
	if cancel != nil {
		if err != nil || resp.Body == nil || resp.Body == http.NoBody {
			cancel()
		} else {
			// The deadline runs on while the body is read; closing the
			// body (or reading it to the end) releases it.
			resp.Body = &attemptBody{rc: resp.Body, cancel: cancel}
		}
	}
	if err != nil && cancel != nil && errors.Is(context.Cause(req.Context()), errAttemptTimeout) && !errors.Is(err, errAttemptTimeout) {
		err = &attemptTimeoutWrap{err: err}
	}
	return resp, err
}

// attemptTimeoutWrap marks a transport error caused by the per-attempt
// timeout, whatever the transport said.
type attemptTimeoutWrap struct{ err error }

func (e *attemptTimeoutWrap) Error() string   { return e.err.Error() + " (per-attempt timeout exceeded)" }
func (e *attemptTimeoutWrap) Unwrap() []error { return []error{e.err, errAttemptTimeout} }
func (e *attemptTimeoutWrap) Timeout() bool   { return true }

// attemptBody releases the attempt's deadline when the body is closed or
// read to the end.
type attemptBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.cancel()
	}
	return n, err
}

func (b *attemptBody) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}

// traced sends one attempt inside its own span (see trace.go).
func (t *attemptTransport) traced(req *http.Request, st *callState, attempt int, start time.Time) (*http.Response, error) {
	span := startAttempt(t.tracer, req, st, attempt)
	resp, err := t.next.RoundTrip(req)
	endAttempt(span, resp, err)
	t.log(req, attempt, start, resp, err)
	return resp, err
}

// log writes the attempt's line when a logger is set.
func (t *attemptTransport) log(req *http.Request, attempt int, start time.Time, resp *http.Response, err error) {
	if t.logger != nil {
		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("host", req.URL.Host),
			slog.String("path", pathOf(req)),
			slog.Int("attempt", attempt),
			slog.Duration("duration", time.Since(start)),
		}
		level := slog.LevelDebug
		if err != nil {
			level = slog.LevelWarn
			attrs = append(attrs, slog.String("error", safeTransportError(err)))
		} else {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
			if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
				level = slog.LevelWarn
			}
		}
		t.logger.LogAttrs(req.Context(), level, "kyc: http attempt", attrs...)
	}
}
