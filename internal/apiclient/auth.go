package apiclient

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/kycgo/kyc"
)

// RenewRule decides whether a 401 reply means the access token itself was
// refused (so a fresh token may succeed). It sees the reply's header and
// up to 8 KiB of its body.
type RenewRule func(header http.Header, body []byte) bool

// InvalidChallenge is the default RenewRule: the 401 carries an RFC 6750
// invalid_token challenge.
func InvalidChallenge(h http.Header, _ []byte) bool {
	return strings.Contains(h.Get("WWW-Authenticate"), "invalid_token")
}

// authTransport binds the client's credentials to the base URL's origin:
// the Bearer token (when there is a token source) and the configured
// headers (WithHeader: API keys) go only to a request whose scheme, host
// and port are those of the base URL. Any other request, a redirect target
// or an absolute URL such as a file download, goes without them.
type authTransport struct {
	ts     *cachingSource // nil without a token source
	origin origin         // the base URL's
	// headers are the configured header keys, removed from a request to
	// another origin.
	headers []string
	next    http.RoundTripper
	renew   RenewRule
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if originOf(req.URL) != t.origin {
		if hasAny(req.Header, t.headers) {
			req = req.Clone(req.Context())
			for _, k := range t.headers {
				req.Header.Del(k)
			}
		}
		return t.next.RoundTrip(req)
	}
	if t.ts == nil {
		return t.next.RoundTrip(req)
	}
	tok, err := t.ts.token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		if ctxErr := req.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			// The caller gave up waiting: its own context error, not a
			// token failure.
			return nil, err
		}
		return nil, WrapTokenError(err)
	}
	resp, err := t.next.RoundTrip(withAuth(req, t.ts.authHeader(tok)))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// A request refused for its token (revoked, or expired before its
	// stated expiry) was not processed, so it is safe to send it once more
	// with a new token. Only a 401 the renew rule blames on the token (by
	// default an RFC 6750 invalid_token challenge) is tried again; others
	// (missing permissions, say) would fail again.
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !replayable {
		return resp, nil
	}
	peek, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(peek), resp.Body), c: resp.Body}
	if !t.renew(resp.Header, peek) {
		return resp, nil
	}
	t.ts.invalidate(tok.AccessToken)
	fresh, ferr := t.ts.token(req.Context())
	if ferr != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil && errors.Is(ferr, ctxErr) {
			closeBody(resp.Body)
			return nil, ferr
		}
		var re *kyc.ReauthorizationRequiredError
		if werr := WrapTokenError(ferr); errors.As(werr, &re) {
			// The grant behind the token is gone: say so rather than 401.
			closeBody(resp.Body)
			return nil, werr
		}
		return resp, nil //nolint:nilerr // no better token: the caller gets the server's 401
	}
	if fresh.AccessToken == tok.AccessToken {
		return resp, nil
	}
	r3 := req.Clone(req.Context())
	if req.GetBody != nil {
		body, gerr := req.GetBody()
		if gerr != nil {
			return resp, nil //nolint:nilerr // cannot replay: the caller gets the server's 401
		}
		r3.Body = body
	}
	closeBody(resp.Body)
	fresh.SetAuthHeader(r3)
	setReason(req.Context(), "token refused")
	return t.next.RoundTrip(r3)
}

// withAuth returns a copy of req with the Authorization header set to
// auth, leaving req as it is (a RoundTripper must not change its
// request). As in x/oauth2's Transport, the copy is shallow but for the
// header map; the header values are shared and never changed.
func withAuth(req *http.Request, auth []string) *http.Request {
	r2 := new(http.Request)
	*r2 = *req
	h := make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		h[k] = v
	}
	h["Authorization"] = auth
	r2.Header = h
	return r2
}

// peekedBody is a response body whose first bytes were read ahead.
type peekedBody struct {
	io.Reader
	c io.Closer
}

func (b *peekedBody) Close() error { return b.c.Close() }

func hasAny(h http.Header, keys []string) bool {
	for _, k := range keys {
		if _, ok := h[k]; ok {
			return true
		}
	}
	return false
}
