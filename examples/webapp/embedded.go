package main

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/kycgo/kyc/fractalid"
)

// The embedded journey (Fractal's iframe): GET /embedded shows the
// authorization page in an iframe; the journey posts its outcome to this
// page, whose script (/embed.js) checks the message's origin and forwards it
// to POST /embedded/complete, which checks the state, exchanges the code and
// opens the session.

const (
	embedStateCookie = "kyc_embed_state"
	embedPath        = "/embedded"
	maxEmbedBody     = fractalid.MaxEmbedMessageBytes
)

// embedded renders the page with the iframe. The state lives in a cookie
// scoped to /embedded, like the redirect flow's.
func (a *app) embedded(w http.ResponseWriter, r *http.Request) {
	state, err := randomID()
	if err != nil {
		a.fail(w, http.StatusInternalServerError, "Something went wrong", "Please try again.", "random state", err)
		return
	}
	src, err := a.cfg.AuthCodeURL(state)
	if err != nil {
		a.fail(w, http.StatusInternalServerError, "Something went wrong", "Please try again.", "authorization URL", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     embedStateCookie,
		Value:    state,
		Path:     embedPath,
		MaxAge:   int(stateMaxAge / time.Second),
		HttpOnly: true,
		Secure:   a.secure,
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Content-Security-Policy", a.embedCSP)
	a.render(w, http.StatusOK, "embedded", struct {
		Src, Allow, Sandbox, Origin, Level string
	}{src, fractalid.EmbedAllow, fractalid.EmbedSandbox, a.embedOrigin, a.level.String()})
}

// embedReply is the JSON answer of POST /embedded/complete.
type embedReply struct {
	Redirect string `json:"redirect,omitempty"`
	Title    string `json:"title,omitempty"`
	Message  string `json:"message,omitempty"`
}

// embeddedComplete receives the journey's message (event.data as JSON),
// checks it against the state cookie and signs the user in.
func (a *app) embeddedComplete(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, v embedReply) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	failed := func(f *failure) {
		if f.what != "" {
			a.log.Warn("webapp: embedded: "+f.what, slog.Int("status", f.status), slog.Any("error", f.err))
		}
		reply(f.status, embedReply{Title: f.title, Message: f.message})
	}
	// JSON only: a cross-site form cannot send it without a preflight.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		failed(&failure{http.StatusUnsupportedMediaType, "Sign-in failed", "Please start again.", "", nil})
		return
	}
	c, err := r.Cookie(embedStateCookie)
	http.SetCookie(w, &http.Cookie{Name: embedStateCookie, Path: embedPath, MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	if err != nil || c.Value == "" {
		failed(&failure{http.StatusBadRequest, "Your sign-in expired",
			"We could not find the sign-in you started in this browser (it expires after 10 minutes, and needs cookies). Please start again.", "no state cookie", nil})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEmbedBody))
	if err != nil {
		failed(&failure{http.StatusRequestEntityTooLarge, "Sign-in failed", "Please start again.", "message body", err})
		return
	}
	msg, err := a.cfg.ParseEmbedMessage(body, c.Value)
	var authErr *fractalid.AuthError
	switch {
	case err == nil && msg.Kind == fractalid.EmbedCompleted:
	case err == nil:
		failed(&failure{http.StatusBadRequest, "Sign-in not finished", "The verification is not finished yet.", "", nil})
		return
	case errors.Is(err, fractalid.ErrStateMismatch):
		failed(&failure{http.StatusBadRequest, "This sign-in does not match",
			"The answer from Fractal ID does not belong to the sign-in started in this browser. Please start again.", "state mismatch", err})
		return
	case errors.Is(err, fractalid.ErrAccessDenied):
		failed(&failure{http.StatusForbidden, "Verification not shared",
			"You chose not to share your verification with us, so we cannot check your KYC status. You can start again at any time.", "", nil})
		return
	case errors.As(err, &authErr):
		failed(&failure{http.StatusBadGateway, "Sign-in failed", "Fractal ID could not complete the sign-in. Please try again later.", "journey error", err})
		return
	default:
		failed(&failure{http.StatusBadRequest, "Sign-in failed", "The answer from Fractal ID was incomplete. Please start again.", "message", err})
		return
	}
	if f := a.signIn(w, r, msg.Code); f != nil {
		failed(f)
		return
	}
	reply(http.StatusOK, embedReply{Redirect: "/status"})
}

// embedJS forwards the journey's message to the backend. It accepts
// messages from the iframe only, and only from the journey's origin (the
// iframe's data-origin); window requests (open, target, features) are
// honoured for https URLs only.
const embedJS = `(function () {
  "use strict";
  var frame = document.getElementById("fractal");
  var status = document.getElementById("embed-status");
  var origin = frame.getAttribute("data-origin");
  var done = false;
  function show(text) { status.textContent = text; }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow || done) { return; }
    var data = event.data;
    if (data === null || typeof data !== "object") { return; }
    if (!("error" in data) && ("open" in data || "target" in data || "features" in data)) {
      if (typeof data.open === "string" && /^https:\/\//.test(data.open)) {
        window.open(data.open, String(data.target || "_blank"), String(data.features || ""));
      }
      return;
    }
    done = true;
    show("Checking your verification\u2026");
    fetch("/embedded/complete", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(data)
    }).then(function (resp) {
      return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
    }).then(function (res) {
      if (res.ok && res.body.redirect === "/status") {
        window.location.assign("/status");
        return;
      }
      show((res.body && res.body.message) || "Sign-in failed. Please start again.");
    }).catch(function () {
      show("Sign-in failed. Please start again.");
    });
  });
})();
`

// serveEmbedJS serves the embedded page's script (the page's CSP allows
// script-src 'self' only, no inline script).
func serveEmbedJS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(embedJS))
}
