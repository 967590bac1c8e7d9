package apiclient

import (
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// attemptTransport counts and logs each attempt.
type attemptTransport struct {
	next   http.RoundTripper
	logger *slog.Logger
	tracer trace.Tracer // nil: tracing off
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	attempt := 1
	if st != nil {
		st.attempts++
		attempt = st.attempts
	}
	start := time.Now()
	if t.tracer != nil {
		return t.traced(req, st, attempt, start)
	}
	resp, err := t.next.RoundTrip(req)
	t.log(req, attempt, start, resp, err)
	return resp, err
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
			slog.String("path", req.URL.Path),
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
