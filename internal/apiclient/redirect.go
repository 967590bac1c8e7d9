package apiclient

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/kycgo/kyc"
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
			e := &kyc.RedirectError{Method: first.Method, Path: pathOf(first), Scheme: clipHost(req.URL.Scheme), Host: clipHost(req.URL.Host), Reason: reason}
			if req.Response != nil {
				e.StatusCode = req.Response.StatusCode
			}
			return e
		}
		if req.URL.Scheme != "https" && (prev.URL.Scheme == "https" || first.URL.Scheme == "https") {
			return refuse(kyc.RedirectDowngrade)
		}
		if originOf(req.URL) != originOf(first.URL) {
			if req.Body != nil && req.Body != http.NoBody {
				return refuse(kyc.RedirectBodyOtherOrigin)
			}
			if user == nil {
				return refuse(kyc.RedirectOtherOrigin)
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
