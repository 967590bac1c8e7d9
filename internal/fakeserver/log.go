package fakeserver

import "github.com/kycgo/kyc/kyctest"

// Requests returns a copy of the request log, oldest first. An entry is in
// the log before the client can see any reply to it.
func (s *Server) Requests() []kyctest.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]kyctest.Request, len(s.log))
	for i, r := range s.log {
		r.Header = r.Header.Clone()
		r.Body = append([]byte(nil), r.Body...)
		out[i] = r
	}
	return out
}

// Count is the number of logged requests with this method ("" = any) whose
// path matches path (exact, or a prefix when it ends in "*").
func (s *Server) Count(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if (method == "" || method == r.Method) && matchPath(path, r.Path) {
			n++
		}
	}
	return n
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base += uint64(len(s.log))
	s.log = nil
}
