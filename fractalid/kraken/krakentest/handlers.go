package krakentest

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/internal/fakeserver"
)

// journey is a KYC page opened with a valid link token.
type journey struct {
	level, state string
	hasState     bool
	used         bool
}

// oneTime is a one-time token handed back at the end of a journey.
type oneTime struct {
	userID string
	used   bool
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kyc", s.page)
	mux.HandleFunc("POST /kyc/complete", s.complete)
	mux.HandleFunc("GET /done", s.done)
	mux.HandleFunc("GET /public/kyc/", s.api(s.publicKYC))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Cannot "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// writeError answers in NestJS's default error shape.
func writeError(w http.ResponseWriter, status int, message string) {
	fakeserver.WriteJSON(w, status, map[string]any{"statusCode": status, "message": message, "error": http.StatusText(status)})
}

func (s *Server) refuse(r *http.Request, reason string) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/public/kyc/token/") {
		p = "/public/kyc/token/[redacted]"
	}
	s.mu.Lock()
	s.refusals = append(s.refusals, Refusal{Path: p, Reason: reason})
	s.mu.Unlock()
}

// api wraps an API handler with the API token check.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := fakeserver.BearerToken(r)
		if !ok {
			s.refuse(r, "no Bearer token")
			writeError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		if _, err := verifyJWT(tok, s.cfg.pub, s.cfg.clientID, apiToken, s.Now()); err != nil {
			s.refuse(r, err.Error())
			writeError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		h(w, r)
	}
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Kraken KYC (fake)</title></head>
<body>
<h1>Identity verification (krakentest)</h1>
<p>Level: <span id="level">{{.Level}}</span></p>
<form id="kyc" method="post" action="/kyc/complete">
<input type="hidden" name="journey" value="{{.Journey}}">
<input type="hidden" name="embedded" id="embedded" value="0">
<button type="submit" id="finish">Finish verification</button>
</form>
<script>
if (window.parent !== window) { document.getElementById("embedded").value = "1"; }
</script>
</body></html>
`))

var messageTmpl = template.Must(template.New("msg").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Kraken KYC (fake)</title></head>
<body>
<p id="status">Verification finished.</p>
<script type="application/json" id="kraken-message">{{.JSON}}</script>
<script>
var data = JSON.parse(document.getElementById("kraken-message").textContent);
window.parent.postMessage(data, {{.Target}});
</script>
</body></html>
`))

// page serves the hosted KYC page for a valid link token.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	toks := q["token"]
	if len(toks) != 1 {
		s.refuse(r, "no token parameter")
		http.Error(w, "missing token", http.StatusBadRequest)
		return
	}
	v, err := verifyJWT(toks[0], s.cfg.pub, s.cfg.clientID, kycToken, s.Now())
	if err != nil {
		s.refuse(r, err.Error())
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	id := randomHex(16)
	s.mu.Lock()
	s.journeys[id] = &journey{level: v.Level, state: v.State, hasState: v.HasState}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = pageTmpl.Execute(w, map[string]string{"Level": v.Level, "Journey": id})
}

// complete finishes a journey: a redirect with a one-time token, or an
// iframe message.
func (s *Server) complete(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	embedded := r.PostForm.Get("embedded") == "1"
	now := s.Now()
	s.mu.Lock()
	j, ok := s.journeys[r.PostForm.Get("journey")]
	if !ok || j.used {
		s.mu.Unlock()
		http.Error(w, "unknown or finished journey", http.StatusNotFound)
		return
	}
	j.used = true
	out := s.outcome.clone()
	var msg map[string]any
	var ott string
	if out.PageError != "" {
		msg = map[string]any{"response": "rejected", "error": out.PageError}
	} else {
		u := &user{User{ID: randomUUID(), Level: j.level, LinkState: j.state, Outcome: out, Completed: now}}
		s.users[u.ID] = u
		s.order = append(s.order, u.ID)
		ott = fakeserver.NewToken()
		s.tokens[ott] = &oneTime{userID: u.ID}
		msg = map[string]any{"oneTimeToken": ott}
	}
	if j.hasState {
		msg["state"] = j.state
	}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	if embedded {
		b, _ := json.Marshal(msg)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = messageTmpl.Execute(w, map[string]any{"JSON": template.JS(b), "Target": "*"})
		return
	}
	target, _ := url.Parse(s.RedirectURL())
	q := target.Query()
	if out.PageError != "" {
		q.Set("error", out.PageError)
	} else {
		q.Set("oneTimeToken", ott)
	}
	if j.hasState && s.cfg.stateRedirect {
		q.Set("state", j.state)
	}
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusSeeOther)
}

func (s *Server) done(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<!doctype html><title>Kraken KYC (fake)</title><p id=\"status\">KYC finished; the integrator exchanges the one-time token.</p>\n"))
}

// publicKYC routes the API paths (their patterns overlap for ServeMux).
func (s *Server) publicKYC(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/public/kyc/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "token" && parts[1] != "":
		s.session(w, parts[1])
	case len(parts) == 2 && parts[1] == "status":
		s.status(w, parts[0])
	case len(parts) == 2 && parts[1] == "data":
		s.data(w, parts[0])
	case len(parts) == 3 && parts[1] == "file":
		s.file(w, parts[0], parts[2])
	default:
		writeError(w, http.StatusNotFound, "Cannot GET this path")
	}
}

func (s *Server) session(w http.ResponseWriter, tok string) {
	s.mu.Lock()
	ot, ok := s.tokens[tok]
	if !ok || ot.used {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Token not found")
		return
	}
	ot.used = true
	u := s.users[ot.userID]
	reply := map[string]any{"userId": u.ID, "state": u.Outcome.State}
	if u.Outcome.ExternalState != "" {
		reply["externalState"] = u.Outcome.ExternalState
	}
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, reply)
}

// lookup returns a copy of the user or answers 404.
func (s *Server) lookup(w http.ResponseWriter, id string) (*user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		writeError(w, http.StatusNotFound, "User not found")
		return nil, false
	}
	c := &user{u.User}
	c.Outcome = u.Outcome.clone()
	return c, true
}

func (s *Server) status(w http.ResponseWriter, id string) {
	if u, ok := s.lookup(w, id); ok {
		fakeserver.WriteJSON(w, http.StatusOK, map[string]any{"status": u.Outcome.State})
	}
}

func (s *Server) data(w http.ResponseWriter, id string) {
	if u, ok := s.lookup(w, id); ok {
		fakeserver.WriteJSON(w, http.StatusOK, u.dataJSON())
	}
}

func (s *Server) file(w http.ResponseWriter, id, kind string) {
	u, ok := s.lookup(w, id)
	if !ok {
		return
	}
	b, ok := u.Outcome.Files[kraken.FileKind(kind)]
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("File not found"))
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(b)
}
