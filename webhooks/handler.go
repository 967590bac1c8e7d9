package webhooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
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

// DefaultDedupTimeout is the default bound of each call the handler makes
// to its [Deduplicator] ([WithDedupTimeout]).
const DefaultDedupTimeout = 5 * time.Second

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
// The handler sets the connection's read deadline as
// [http.ResponseController] does (on the ResponseWriter or one it unwraps
// to, without allocating one) and clears it once the body is read, so a
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

// WithDedupTimeout bounds each call the handler makes to its
// [Deduplicator]; the default is [DefaultDedupTimeout]. d must be
// positive.
//
// Claim runs on the request's context with this deadline added. Complete
// and Release run after the function, on a context detached from the
// request's cancellation (a sender that hung up must not keep the result
// from being recorded) but with this deadline of its own, so that a store
// that stops answering cannot hold the handler and its connection to the
// store forever. A Complete that fails or runs out of time is logged and
// the notification is answered 200, since the function did its work; the
// key then stays claimed until the store's claim expires, and a delivery
// in between is taken for a duplicate. A Release that fails or runs out
// of time is logged; the answer is still 500.
//
// [MemoryDeduplicator] never waits, and is called without a deadline.
func WithDedupTimeout(d time.Duration) HandlerOption {
	return func(h *handler) error {
		if d <= 0 {
			return errors.New("webhooks: WithDedupTimeout: timeout must be positive")
		}
		h.dedupTimeout = d
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
	// dedupTimeout bounds each call of dedup.
	dedupTimeout time.Duration
	log          *slog.Logger
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
//   - with [WithDeduplicator], answers 200 to a duplicate (each call to
//     the Deduplicator is bounded by [WithDedupTimeout], 5s by default);
//   - calls fn with the event and a context derived from the request with
//     a deadline ([WithTimeout], 8s by default);
//   - answers 500 when fn returns an error, so that Fractal retries, and 200
//     with an empty body when it returns nil.
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
	h := &handler{
		v: v, fn: fn, maxBody: DefaultMaxPayloadSize, timeout: DefaultHandlerTimeout,
		readTimeout: DefaultReadTimeout, dedupTimeout: DefaultDedupTimeout,
	}
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
	ev, err := h.v.verify(body, sig, true)
	if err != nil {
		h.refuseErr(ctx, w, err)
		return
	}

	if h.dedup != nil {
		h.serveDedup(ctx, w, ev)
		return
	}
	if err := h.call(ctx, ev); err != nil {
		h.failed(ctx, w, ev, err)
		return
	}
	if h.log != nil {
		h.logf(ctx, slog.LevelDebug, "webhook processed", slog.Any("event", ev))
	}
	replyOK(w)
}

// serveDedup runs the function under the deduplicator's claim.
func (h *handler) serveDedup(ctx context.Context, w http.ResponseWriter, ev *Event) {
	key := ev.DedupKey()
	cctx, cancel := h.dedupCtx(ctx, false)
	claimed, err := h.dedup.Claim(cctx, key)
	cancel()
	if err != nil {
		if h.log != nil {
			h.logf(ctx, slog.LevelError, "webhook deduplicator failed", slog.Any("event", ev), slog.String("error", err.Error()))
		}
		reply(w, http.StatusInternalServerError, bodyInternal)
		return
	}
	if !claimed {
		if h.log != nil {
			h.logf(ctx, slog.LevelInfo, "webhook duplicate ignored", slog.Any("event", ev))
		}
		replyOK(w)
		return
	}
	done := false
	defer func() {
		// Runs on failure and on panic: free the key for the retry.
		if !done {
			h.release(ctx, ev, key)
		}
	}()
	if err := h.call(ctx, ev); err != nil {
		h.failed(ctx, w, ev, err)
		return
	}
	done = true
	if err := h.complete(ctx, key); err != nil && h.log != nil {
		h.logf(ctx, slog.LevelWarn, "webhook deduplicator complete failed", slog.Any("event", ev), slog.String("error", err.Error()))
	}
	if h.log != nil {
		h.logf(ctx, slog.LevelDebug, "webhook processed", slog.Any("event", ev))
	}
	replyOK(w)
}

// dedupCtx is the context of a call to the deduplicator: ctx bounded by
// the dedup timeout and, for Complete and Release (detach), detached from
// ctx's cancellation, since they must run even when the client hung up
// after the function ran. The memory deduplicator never looks at its
// context and gets ctx as it is.
func (h *handler) dedupCtx(ctx context.Context, detach bool) (context.Context, context.CancelFunc) {
	if _, mem := h.dedup.(*MemoryDeduplicator); mem {
		return ctx, noCancel
	}
	if detach {
		ctx = context.WithoutCancel(ctx)
	}
	return context.WithTimeout(ctx, h.dedupTimeout)
}

func noCancel() {}

// complete marks a processed key.
func (h *handler) complete(ctx context.Context, key string) error {
	actx, cancel := h.dedupCtx(ctx, true)
	defer cancel()
	return h.dedup.Complete(actx, key)
}

// release frees a claimed key after a failure.
func (h *handler) release(ctx context.Context, ev *Event, key string) {
	actx, cancel := h.dedupCtx(ctx, true)
	defer cancel()
	if err := h.dedup.Release(actx, key); err != nil && h.log != nil {
		h.logf(ctx, slog.LevelWarn, "webhook deduplicator release failed", slog.Any("event", ev), slog.String("error", err.Error()))
	}
}

// readBody reads the request body within the read timeout. It sets the
// connection's read deadline when the ResponseWriter supports it, and
// checks the time before each read in any case. The buffer is sized from
// Content-Length (never beyond the limit) so that a body sent with its
// length is read without growing; the returned slice is owned by the
// request alone.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, ErrPayloadTooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	deadline := time.Now().Add(h.readTimeout)
	dw := readDeadliner(w)
	if dw != nil && dw.SetReadDeadline(deadline) != nil {
		dw = nil
	}
	size := int64(512)
	if r.ContentLength >= 0 {
		size = r.ContentLength + 1 // +1 so that reading EOF needs no growth
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			// Double, but never beyond one byte over the limit.
			buf = slices.Grow(buf, int(min(int64(cap(buf)), h.maxBody+1-int64(len(buf)))))
		}
		if !time.Now().Before(deadline) {
			return nil, errBodyTimeout
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > h.maxBody {
			tooLarge(w)
			return nil, ErrPayloadTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if isTimeout(err) {
				return nil, errBodyTimeout
			}
			return nil, &readError{err}
		}
	}
	if dw != nil {
		// The body is read: the deadline must not fire while the function
		// runs (a connection read error cancels the request's context).
		_ = dw.SetReadDeadline(time.Time{})
	}
	return buf, nil
}

// readDeadliner finds the SetReadDeadline of w or of a ResponseWriter it
// wraps, as http.ResponseController does, without allocating.
func readDeadliner(w http.ResponseWriter) interface{ SetReadDeadline(time.Time) error } {
	for {
		switch t := w.(type) {
		case interface{ SetReadDeadline(time.Time) error }:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}

// tooLarge tells the server, as http.MaxBytesReader does, that the body
// was over the limit, so that it closes the connection after the reply
// instead of reading the rest of the body.
func tooLarge(w http.ResponseWriter) {
	var one [1]byte
	_, _ = http.MaxBytesReader(w, io.NopCloser(strings.NewReader("x")), 0).Read(one[:])
}

// errBodyTimeout is a body that was not complete within the read timeout.
var errBodyTimeout = errors.New("webhooks: request body not received within the read timeout")

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (h *handler) call(ctx context.Context, ev *Event) error {
	cctx := newCallCtx(ctx, h.timeout)
	defer cctx.end()
	return h.fn(cctx, ev)
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
	if h.log != nil {
		h.logf(ctx, slog.LevelWarn, "webhook refused", slog.Int("status", status), slog.String("reason", reason))
	}
	reply(w, status, body)
}

func (h *handler) logf(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if h.log != nil {
		h.log.LogAttrs(ctx, level, msg, attrs...)
	}
}

// Header values of every reply, shared by all replies. Their capacity is
// their length, so an append by a middleware copies them.
var (
	hdrJSON    = []string{"application/json"}[:1:1]
	hdrNosniff = []string{"nosniff"}[:1:1]
	hdrNoStore = []string{"no-store"}[:1:1]
)

// replyOK answers a processed or duplicate notification: 200 with an empty
// body and no header of its own. Fractal only looks at the status, and
// every extra header is work for the sender at the volume of a burst.
func replyOK(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }

func reply(w http.ResponseWriter, status int, body string) {
	hd := w.Header()
	hd["Content-Type"] = hdrJSON
	hd["X-Content-Type-Options"] = hdrNosniff
	hd["Cache-Control"] = hdrNoStore
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
