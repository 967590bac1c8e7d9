package fakeserver

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/kycgo/kyc/kyctest"
)

type pendingFault struct {
	method, pattern string
	f               kyctest.Fault
	left            int
}

// InjectFault makes the next f.Times (default 1) requests whose method is
// method ("" = any) and whose path matches pathPattern (exact, or a prefix
// when it ends in "*") fail as f says. Faults are consumed in the order
// they were injected: a request gets the oldest pending fault it matches.
// It panics on an unknown Kind or a negative Times or Size, which are
// programming errors in the test.
func (s *Server) InjectFault(method, pathPattern string, f kyctest.Fault) {
	if f.Kind <= kyctest.FaultNone || f.Kind > kyctest.FaultOversize {
		panic("fakeserver: InjectFault: unknown fault kind " + f.Kind.String())
	}
	if f.Times < 0 || f.Size < 0 || f.Delay < 0 {
		panic("fakeserver: InjectFault: negative Times, Size or Delay")
	}
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &pendingFault{method: method, pattern: pathPattern, f: f, left: f.Times})
}

// PendingFaults is the number of fault uses not yet consumed.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.faults {
		n += p.left
	}
	return n
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault consumes and returns the oldest pending fault matching the request.
func (s *Server) takeFault(method, path string) *kyctest.Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.faults {
		if (p.method == "" || p.method == method) && matchPath(p.pattern, path) {
			p.left--
			if p.left <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			f := p.f
			return &f
		}
	}
	return nil
}

// applyFault serves r under fault f (every kind but FaultResetBeforeRead).
func (s *Server) applyFault(f *kyctest.Fault, w *statusWriter, r *http.Request) {
	switch f.Kind {
	case kyctest.FaultStatus:
		status := orDefault(f.Status, http.StatusServiceUnavailable)
		ct := f.ContentType
		if ct == "" && f.Body != "" {
			ct = "application/json"
		}
		writeRaw(w, status, ct, f.RetryAfter, f.Body)
	case kyctest.FaultHTMLError:
		status := orDefault(f.Status, http.StatusBadGateway)
		body := f.Body
		if body == "" {
			body = htmlErrorPage(status)
		}
		writeRaw(w, status, orDefaultString(f.ContentType, "text/html; charset=utf-8"), f.RetryAfter, body)
	case kyctest.FaultHang:
		var wait <-chan time.Time
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			defer t.Stop()
			wait = t.C
		}
		select {
		case <-wait:
			s.handler.ServeHTTP(w, r)
		case <-r.Context().Done():
			panic(http.ErrAbortHandler)
		case <-s.closing:
			// Drop the connection without a reply.
			panic(http.ErrAbortHandler)
		}
	case kyctest.FaultResetAfterRead:
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, r)
		s.setStatus(w.seq, rec.Code)
		resetConn(w)
	case kyctest.FaultTruncate:
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		promised := len(body)
		if promised == 0 {
			promised = 1
		}
		h := w.Header()
		for k, v := range rec.Header() {
			h[k] = v
		}
		h.Set("Content-Length", strconv.Itoa(promised))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:len(body)/2])
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		if conn, _, err := rc.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
		panic(http.ErrAbortHandler)
	case kyctest.FaultOversize:
		writeOversize(w, f)
	}
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func orDefaultString(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func writeRaw(w http.ResponseWriter, status int, contentType, retryAfter, body string) {
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func htmlErrorPage(status int) string {
	t := strconv.Itoa(status) + " " + http.StatusText(status)
	return "<html>\r\n<head><title>" + t + "</title></head>\r\n<body>\r\n<center><h1>" + t +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

// writeOversize streams a JSON array of exactly f.Size bytes:
// "[" elem ("," elem)* spaces "]", written from one reusable chunk.
func writeOversize(w http.ResponseWriter, f *kyctest.Fault) {
	size := f.Size
	if size == 0 {
		size = kyctest.DefaultOversize
	}
	elem := f.Body
	if elem == "" {
		elem = `{"id":"oversize"}`
	}
	h := w.Header()
	h.Set("Content-Type", orDefaultString(f.ContentType, "application/json"))
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(orDefault(f.Status, http.StatusOK))
	if size < int64(len(elem))+2 {
		// Too small for one element: "[", spaces, "]".
		b := make([]byte, size)
		for i := range b {
			b[i] = ' '
		}
		if size > 0 {
			b[0] = '['
		}
		if size > 1 {
			b[size-1] = ']'
		}
		_, _ = w.Write(b)
		return
	}
	unit := "," + elem
	chunk := []byte(strings.Repeat(unit, max(1, (32<<10)/len(unit))))
	if _, err := io.WriteString(w, "["+elem); err != nil {
		return
	}
	left := size - 2 - int64(len(elem))
	for left >= int64(len(chunk)) {
		if _, err := w.Write(chunk); err != nil {
			return // the client went away
		}
		left -= int64(len(chunk))
	}
	if n := left / int64(len(unit)) * int64(len(unit)); n > 0 {
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		left -= n
	}
	tail := make([]byte, left+1)
	for i := range tail {
		tail[i] = ' '
	}
	tail[left] = ']'
	_, _ = w.Write(tail)
}

// resetConn hijacks the connection behind w and closes it with SO_LINGER 0,
// so the peer sees a TCP reset.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	c := conn
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	// Close the raw connection: a TLS close_notify would soften the reset.
	_ = c.Close()
}
