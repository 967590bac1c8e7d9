package apiclient

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// An origin is what a credential is bound to: scheme, host and port (RFC
// 6454). The default port of the scheme is written out, so
// https://api.example.com and https://api.example.com:443 are one origin.
type origin struct {
	scheme, host, port string
}

func originOf(u *url.URL) origin {
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), port: u.Port()}
	if o.port == "" {
		switch o.scheme {
		case "https":
			o.port = "443"
		case "http":
			o.port = "80"
		}
	}
	return o
}

// ErrRedirectRefused is matched by every *RedirectError.
var ErrRedirectRefused = errors.New("kyc: redirect refused")

// Why a redirect was refused (RedirectError.Reason).
const (
	// RedirectOtherOrigin: the target is another scheme, host or port than
	// the request's.
	RedirectOtherOrigin = "to another origin"
	// RedirectDowngrade: the target is plain http after https.
	RedirectDowngrade = "from https to http"
	// RedirectBodyOtherOrigin: a 307 or 308 would send the request body to
	// another origin.
	RedirectBodyOtherOrigin = "that would resend the request body to another origin"
)

// RedirectError is a redirect the client refused to follow: to another
// origin (scheme, host or port) than the request's, from https to http, or
// a 307/308 that would send the request body to another origin. Credentials
// are bound to their origin, so an API call never follows such a redirect
// unless the caller's own CheckRedirect (on the client given with
// WithHTTPClient) allows it, and then without the SDK's headers; a
// downgrade to http and a body sent to another origin are refused even
// then. Error() names the status and the target's scheme and host, never
// its path or query.
type RedirectError struct {
	// Method and Path identify the call (Path never contains the query).
	Method, Path string
	// StatusCode is the redirect's status (301, 302, 303, 307, 308).
	StatusCode int
	// Scheme and Host (with the port, if any) are the redirect target's,
	// each cut to 262 bytes (marked "...") since the server chose them.
	Scheme, Host string
	// Reason is one of RedirectOtherOrigin, RedirectDowngrade and
	// RedirectBodyOtherOrigin.
	Reason string
}

// Error implements error.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("kyc: %s %s: refused %d redirect %s (%s://%s)", e.Method, e.Path, e.StatusCode, e.Reason, e.Scheme, e.Host)
}

// Is makes errors.Is(err, ErrRedirectRefused) true.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirectRefused }

// maxHostLen is the longest DNS name (253) with a port, and room for
// brackets of an IPv6 literal.
const maxHostLen = 262

// clipHost bounds a scheme or host taken from a server's Location header
// (it goes into an error message) to maxHostLen bytes, marking the cut.
func clipHost(s string) string {
	if len(s) <= maxHostLen {
		return s
	}
	return strings.ToValidUTF8(s[:maxHostLen], "") + "..."
}

// maxRedirects is net/http's default limit, kept when the caller has no
// CheckRedirect of its own.
const maxRedirects = 10

// keptOnOtherOrigin lists the only request headers a redirect to another
// origin keeps: nothing that could carry a credential (configured API
// keys, Authorization, cookies, per-call headers) or the previous URL
// (Referer).
var keptOnOtherOrigin = map[string]bool{"User-Agent": true, "Accept": true}

// redirectPolicy returns the CheckRedirect of a client: same-origin
// redirects are followed (through user, the caller's own CheckRedirect,
// if any, else up to 10); a redirect from https to http, and a 307/308
// carrying a body to another origin, are refused; a redirect to another
// origin is refused unless user allows it, and then loses every header but
// User-Agent and Accept before user sees it.
func redirectPolicy(user func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first, prev := via[0], via[len(via)-1]
		refuse := func(reason string) error {
			e := &RedirectError{Method: first.Method, Path: first.URL.Path, Scheme: clipHost(req.URL.Scheme), Host: clipHost(req.URL.Host), Reason: reason}
			if req.Response != nil {
				e.StatusCode = req.Response.StatusCode
			}
			return e
		}
		if req.URL.Scheme != "https" && (prev.URL.Scheme == "https" || first.URL.Scheme == "https") {
			return refuse(RedirectDowngrade)
		}
		if originOf(req.URL) != originOf(first.URL) {
			if req.Body != nil && req.Body != http.NoBody {
				return refuse(RedirectBodyOtherOrigin)
			}
			if user == nil {
				return refuse(RedirectOtherOrigin)
			}
			for k := range req.Header {
				if !keptOnOtherOrigin[k] {
					delete(req.Header, k)
				}
			}
		}
		if user != nil {
			return user(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
}
