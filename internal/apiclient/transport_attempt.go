package apiclient

import (
	"log/slog"
	"net/http"
	"time"
)

// attemptTransport counts and logs each attempt.
type attemptTransport struct {
	next   http.RoundTripper
	logger *slog.Logger
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	attempt := 1
	if st != nil {
		st.attempts++
		attempt = st.attempts
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
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
	return resp, err
}
