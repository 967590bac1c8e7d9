package webhooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// DefaultHandlerTimeout is the default deadline of the context given to the
// function of [NewHandler]: well inside the 10 seconds after which Fractal
// gives up on a delivery and retries it.
const DefaultHandlerTimeout = 8 * time.Second

// DefaultReadTimeout is the default time [NewHandler] allows for reading a
// request body: Fractal's notifications are a few hundred bytes, sent at
// once, so a body still arriving after this is a slow or hostile sender.
const DefaultReadTimeout = 5 * time.Second

// A HandlerOption configures [NewHandler]. Options check their arguments;
// since NewHandler returns no error, it panics on an invalid option, as it
// does on a nil Verifier or function: these are programming errors caught
// at start-up, never caused by a request.
type HandlerOption func(*handler) error

// WithMaxBodySize sets the largest request body, in bytes, the handler
// reads; a larger one is answered 413. The default is
// [DefaultMaxPayloadSize]; the Verifier's own limit
// ([WithMaxPayloadSize]) applies too. n must be positive.
func WithMaxBodySize(n int64) HandlerOption {
	return func(h *handler) error {
		if n <= 0 {
			return errors.New("webhooks: WithMaxBodySize: size must be positive")
		}
		h.maxBody = n
		return nil
	}
}

// WithTimeout sets the deadline of the context passed to the function. The
// default is [DefaultHandlerTimeout]. Keep it under Fractal's 10 seconds;
// do slow work asynchronously after recording the event. d must be
// positive.
func WithTimeout(d time.Duration) HandlerOption {
	return func(h *handler) error {
		if d <= 0 {
			return errors.New("webhooks: WithTimeout: timeout must be positive")
		}
		h.timeout = d
		return nil
	}
}

// WithReadTimeout bounds the time the handler spends reading a request
// body, counted from when the handler starts. A body not complete by then
// is answered 408 without calling the function or the [Deduplicator]. The
// default is [DefaultReadTimeout]. d must be positive.
//
// The handler sets the connection's read deadline through
// [http.ResponseController] and clears it once the body is read, so a
// server ReadTimeout cannot cancel the function's context while it runs.
// With a ResponseWriter that does not support deadlines (a wrapping
// middleware without Unwrap, httptest.ResponseRecorder), the bound is
// checked each time a read returns: a trickled body is still cut off, but
// a read that blocks without returning is bounded only by the server's own
// ReadTimeout. Set the server's ReadTimeout too (see the package example).
func WithReadTimeout(d time.Duration) HandlerOption {
	return func(h *handler) error {
		if d <= 0 {
			return errors.New("webhooks: WithReadTimeout: timeout must be positive")
		}
		h.readTimeout = d
		return nil
	}
}

// WithDeduplicator makes the handler drop deliveries whose
// [Event.DedupKey] was already processed successfully (see [Deduplicator]);
// they are answered 200 without calling the function. Off by default; pass
// NewMemoryDeduplicator(0, 0) for a bounded in-process one, or nil to turn
// it off again.
func WithDeduplicator(d Deduplicator) HandlerOption {
	return func(h *handler) error {
		h.dedup = d
		return nil
	}
}

// WithLogger makes the handler log refused requests (reason and status),
// failures of the function and duplicates. Nothing is logged by default.
// The body, the signature and the secrets are never logged; events are
// logged through [Event.LogValue] (type and identifiers only). An error
// returned by your function is logged as it is.
func WithLogger(l *slog.Logger) HandlerOption {
	return func(h *handler) error {
		h.log = l
		return nil
	}
}

type handler struct {
	v       *Verifier
	fn      func(context.Context, *Event) error
	maxBody int64
	timeout time.Duration
	// readTimeout bounds reading the body.
	readTimeout time.Duration
	dedup       Deduplicator
	log         *slog.Logger
}

// NewHandler returns an [http.Handler] for the callback URL of Fractal ID
// notifications. For each request it:
//
//   - answers 405 with "Allow: POST" to any method but POST;
//   - reads the raw body up to the size limit (413 beyond) within the read
//     timeout ([WithReadTimeout], 5s by default; 408 when the body is not
//     complete by then);
//   - verifies the raw bytes with v before any JSON decoding: 401 when the
//     signature is missing or does not match, 400 when it is malformed;
//   - parses the verified body (400 when it is not a notification);
//   - with [WithDeduplicator], answers 200 to a duplicate;
//   - calls fn with the event and a context derived from the request with
//     a deadline ([WithTimeout], 8s by default);
//   - answers 500 when fn returns an error, so that Fractal retries, and 200
//     with "{}" when it returns nil.
//
// Refusals carry a small JSON body such as {"error":"invalid_signature"}
// that never echoes the request. A refused request never reaches fn. fn is
// called concurrently for concurrent requests and must be idempotent:
// delivery is at least once and in no particular order.
//
// NewHandler panics if v or fn is nil or an option is invalid.
func NewHandler(v *Verifier, fn func(context.Context, *Event) error, opts ...HandlerOption) http.Handler {
	if v == nil {
		panic("webhooks: NewHandler: nil Verifier")
	}
	if fn == nil {
		panic("webhooks: NewHandler: nil function")
	}
	h := &handler{v: v, fn: fn, maxBody: DefaultMaxPayloadSize, timeout: DefaultHandlerTimeout, readTimeout: DefaultReadTimeout}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(h); err != nil {
			panic(err.Error())
		}
	}
	return h
}

// Response bodies. They are constants: nothing from the request goes in.
const (
	bodyOK               = `{}`
	bodyMethodNotAllowed = `{"error":"method_not_allowed"}`
	bodyTooLarge         = `{"error":"payload_too_large"}`
	bodyInvalidSignature = `{"error":"invalid_signature"}`
	bodyMalformedSig     = `{"error":"malformed_signature"}`
	bodyInvalidPayload   = `{"error":"invalid_payload"}`
	bodyBadRequest       = `{"error":"bad_request"}`
	bodyRequestTimeout   = `{"error":"request_timeout"}`
	bodyInternal         = `{"error":"internal_error"}`
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(ctx, w, http.StatusMethodNotAllowed, bodyMethodNotAllowed, "method not allowed")
		return
	}
	sig, err := signatureFromHeader(r.Header)
	if err != nil {
		h.refuseErr(ctx, w, err)
		return
	}
	body, err := h.readBody(w, r)
	if err != nil {
		h.refuseErr(ctx, w, err)
		return
	}
	ev, err := h.v.Verify(body, sig)
	if err != nil {
		h.refuseErr(ctx, w, err)
		return
	}

	if h.dedup != nil {
		key := ev.DedupKey()
		claimed, err := h.dedup.Claim(ctx, key)
		if err != nil {
			h.logf(ctx, slog.LevelError, "webhook deduplicator failed", slog.Any("event", ev), slog.String("error", err.Error()))
			reply(w, http.StatusInternalServerError, bodyInternal)
			return
		}
		if !claimed {
			h.logf(ctx, slog.LevelInfo, "webhook duplicate ignored", slog.Any("event", ev))
			reply(w, http.StatusOK, bodyOK)
			return
		}
		done := false
		defer func() {
			// Runs on failure and on panic: free the key for the retry.
			if !done {
				if err := h.dedup.Release(context.WithoutCancel(ctx), key); err != nil {
					h.logf(ctx, slog.LevelWarn, "webhook deduplicator release failed", slog.Any("event", ev), slog.String("error", err.Error()))
				}
			}
		}()
		if err := h.call(ctx, ev); err != nil {
			h.failed(ctx, w, ev, err)
			return
		}
		done = true
		if err := h.dedup.Complete(context.WithoutCancel(ctx), key); err != nil {
			h.logf(ctx, slog.LevelWarn, "webhook deduplicator complete failed", slog.Any("event", ev), slog.String("error", err.Error()))
		}
	} else if err := h.call(ctx, ev); err != nil {
		h.failed(ctx, w, ev, err)
		return
	}
	h.logf(ctx, slog.LevelDebug, "webhook processed", slog.Any("event", ev))
	reply(w, http.StatusOK, bodyOK)
}

// readBody reads the request body within the read timeout. It sets the
// connection's read deadline when the ResponseWriter supports it, and
// checks the time after each read in any case.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	deadline := time.Now().Add(h.readTimeout)
	rc := http.NewResponseController(w)
	connDeadline := rc.SetReadDeadline(deadline) == nil
	body := &deadlineReader{r: http.MaxBytesReader(w, r.Body, h.maxBody), deadline: deadline}
	b, err := readBody(body, r.ContentLength, h.maxBody)
	if err != nil {
		if isTimeout(err) {
			return nil, errBodyTimeout
		}
		return nil, err
	}
	if connDeadline {
		// The body is read: the deadline must not fire while the function
		// runs (a connection read error cancels the request's context).
		_ = rc.SetReadDeadline(time.Time{})
	}
	return b, nil
}

// errBodyTimeout is a body that was not complete within the read timeout.
var errBodyTimeout = errors.New("webhooks: request body not received within the read timeout")

// deadlineReader fails any read that starts after deadline, so a trickled
// body is cut off even where the connection's deadline cannot be set.
type deadlineReader struct {
	r        io.Reader
	deadline time.Time
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if !time.Now().Before(d.deadline) {
		return 0, os.ErrDeadlineExceeded
	}
	return d.r.Read(p)
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (h *handler) call(ctx context.Context, ev *Event) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	return h.fn(ctx, ev)
}

func (h *handler) failed(ctx context.Context, w http.ResponseWriter, ev *Event, err error) {
	h.logf(ctx, slog.LevelError, "webhook function failed; answering 500 so that Fractal retries",
		slog.Any("event", ev), slog.String("error", err.Error()))
	reply(w, http.StatusInternalServerError, bodyInternal)
}

// refuseErr maps a verification or read error to a status and a body.
func (h *handler) refuseErr(ctx context.Context, w http.ResponseWriter, err error) {
	var status int
	var body string
	switch {
	case errors.Is(err, ErrPayloadTooLarge):
		status, body = http.StatusRequestEntityTooLarge, bodyTooLarge
	case errors.Is(err, ErrMalformedSignature):
		status, body = http.StatusBadRequest, bodyMalformedSig
	case errors.Is(err, ErrMissingSignature), errors.Is(err, ErrSignatureMismatch), errors.Is(err, ErrNoSecret):
		status, body = http.StatusUnauthorized, bodyInvalidSignature
	case errors.Is(err, ErrInvalidPayload):
		status, body = http.StatusBadRequest, bodyInvalidPayload
	case errors.Is(err, errBodyTimeout):
		// The rest of the body may still be arriving: do not reuse the
		// connection.
		w.Header().Set("Connection", "close")
		status, body = http.StatusRequestTimeout, bodyRequestTimeout
	default: // body read failure
		status, body = http.StatusBadRequest, bodyBadRequest
	}
	// The package's errors hold no input; a read error comes from the
	// connection, not the body.
	h.refuse(ctx, w, status, body, err.Error())
}

func (h *handler) refuse(ctx context.Context, w http.ResponseWriter, status int, body, reason string) {
	h.logf(ctx, slog.LevelWarn, "webhook refused", slog.Int("status", status), slog.String("reason", reason))
	reply(w, status, body)
}

func (h *handler) logf(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if h.log != nil {
		h.log.LogAttrs(ctx, level, msg, attrs...)
	}
}

func reply(w http.ResponseWriter, status int, body string) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
