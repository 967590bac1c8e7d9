package fakeserver

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycgo/kyc/kyctest"
)

// maxLoggedBody is how much of each request body the log keeps.
const maxLoggedBody = 64 << 10

// maxBufferedBody is how much of a request body is read before the handler
// runs; the rest (if any) is streamed to the handler unread.
const maxBufferedBody = 8 << 20

// Option configures a Server. Options validate their arguments and return an
// error, which New reports through t.Fatal.
type Option func(*settings) error

type settings struct {
	now func() time.Time
	tls bool
}

// WithClock makes the server (and its token issuer and request log) read
// time from now instead of time.Now. A *Clock's Now method fits.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("fakeserver: WithClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithTLS serves HTTPS with httptest's self-signed certificate; Client
// returns an *http.Client that trusts it.
func WithTLS() Option {
	return func(s *settings) error {
		s.tls = true
		return nil
	}
}

// RequestIDHeader is the header in which every reply carries its request
// ID (also in the request log).
const RequestIDHeader = "X-Request-Id"

// Server is a real HTTP server on 127.0.0.1 that runs a fake's handler
// behind fault injection and a request log. Its methods are safe for
// concurrent use.
type Server struct {
	ts      *httptest.Server
	handler http.Handler
	now     func() time.Time
	tokens  *TokenIssuer

	conns     atomic.Int64
	reqs      atomic.Uint64 // numbers the X-Request-Id of each reply
	idPrefix  string
	closing   chan struct{}
	closeOnce sync.Once

	mu     sync.Mutex
	faults []*pendingFault
	log    []kyctest.Request
	base   uint64 // sequence number of log[0]
}

// New starts a server on 127.0.0.1 that serves h. It is closed through
// t.Cleanup (Close may also be called earlier). An invalid option fails the
// test.
func New(t TB, h http.Handler, opts ...Option) *Server {
	t.Helper()
	if h == nil {
		t.Fatal("fakeserver: New: nil handler")
	}
	cfg := settings{now: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{handler: h, now: cfg.now, closing: make(chan struct{}), idPrefix: NewToken()[:8]}
	s.tokens = NewTokenIssuer(cfg.now)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	ts.Config.ErrorLog = nil
	if cfg.tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	s.ts = ts
	t.Cleanup(s.Close)
	return s
}

// URL is the server's base URL, "http://127.0.0.1:<port>" (https with WithTLS).
func (s *Server) URL() string { return s.ts.URL }

// Client returns an *http.Client configured for the server (it trusts the
// test certificate under WithTLS). Its connections are closed with the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Certificate returns the server's TLS certificate (WithTLS), or nil when
// it serves plain HTTP.
func (s *Server) Certificate() *x509.Certificate { return s.ts.Certificate() }

// Close stops the server: pending hangs return at once and open connections
// are closed. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// ConnectionCount is the number of TCP connections the server has accepted.
func (s *Server) ConnectionCount() int { return int(s.conns.Load()) }

// Now is the server's clock (time.Now unless WithClock was given).
func (s *Server) Now() time.Time { return s.now() }

// Tokens is the server's token issuer; it uses the server's clock.
func (s *Server) Tokens() *TokenIssuer { return s.tokens }

// serve is the outermost handler: log, fault, then the fake's handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	f := s.takeFault(r.Method, r.URL.Path)
	kind := kyctest.FaultKind(0)
	if f != nil {
		kind = f.Kind
	}
	entry := kyctest.Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   redactHeader(r.Header),
		HasAuth:  r.Header.Get("Authorization") != "",
		Fault:    kind,
		Time:     s.now(),
	}
	// Every reply carries a request ID, as the real APIs' gateways send.
	entry.RequestID = fmt.Sprintf("fake-%s-%d", s.idPrefix, s.reqs.Add(1))
	w.Header().Set(RequestIDHeader, entry.RequestID)
	if kind == kyctest.FaultResetBeforeRead {
		s.record(entry)
		resetConn(w)
		return
	}
	// Read the body (up to a generous cap) so the log holds it and a reset
	// after read really happens after the whole request arrived.
	if r.Body != nil && r.Body != http.NoBody {
		buf, err := io.ReadAll(io.LimitReader(r.Body, maxBufferedBody))
		if err != nil {
			// The client went away mid-body: log what arrived and stop.
			entry.Body = capCopy(buf)
			s.record(entry)
			return
		}
		entry.Body = capCopy(buf)
		if len(buf) == maxBufferedBody {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
		} else {
			r.Body = io.NopCloser(bytes.NewReader(buf))
		}
	}
	seq := s.record(entry)
	rec := &statusWriter{ResponseWriter: w, s: s, seq: seq}
	if f == nil {
		s.handler.ServeHTTP(rec, r)
		return
	}
	s.applyFault(f, rec, r)
}

// record appends a log entry and returns its sequence number.
func (s *Server) record(e kyctest.Request) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.base + uint64(len(s.log))
	s.log = append(s.log, e)
	return seq
}

// setStatus sets the status of the entry with sequence number seq, unless
// the log was reset since.
func (s *Server) setStatus(seq uint64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < s.base {
		return
	}
	if i := seq - s.base; i < uint64(len(s.log)) && s.log[i].Status == 0 {
		s.log[i].Status = status
	}
}

// statusWriter records the status of the reply in the request log as soon
// as the header is written (before the client can see it).
type statusWriter struct {
	http.ResponseWriter
	s           *Server
	seq         uint64
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader && code >= 200 {
		w.wroteHeader = true
		w.s.setStatus(w.seq, code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher.
func (w *statusWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func capCopy(b []byte) []byte {
	if len(b) > maxLoggedBody {
		b = b[:maxLoggedBody]
	}
	return bytes.Clone(b)
}

func redactHeader(h http.Header) http.Header {
	c := h.Clone()
	for _, k := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
		if _, ok := c[k]; ok {
			c[k] = []string{"[redacted]"}
		}
	}
	return c
}

// matchPath reports whether path matches pattern: exact, or a prefix when
// pattern ends in "*".
func matchPath(pattern, path string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, p)
	}
	return pattern == path
}

// String describes the server without secrets.
func (s *Server) String() string { return fmt.Sprintf("fakeserver.Server(%s)", s.ts.URL) }

// A Server is the kyctest.Fake that each public fake embeds.
var _ kyctest.Fake = (*Server)(nil)
