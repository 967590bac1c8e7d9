package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-querystring/query"

	"github.com/kycgo/kyc"
)

// Request describes one API call.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is an already escaped path below the base URL (build it with
	// JoinPath). Ignored when URL is set.
	Path string
	// URL is an absolute URL to call instead of base URL + Path.
	URL string
	// Query is a go-querystring struct or url.Values.
	Query any
	// Body is marshalled as JSON, unless it is url.Values (form-encoded)
	// or an io.Reader (sent as is with Header's Content-Type).
	Body any
	// Header holds extra headers.
	Header http.Header
	// Permission names the permission this call needs, for error messages.
	Permission string
	// Operation names the call in traces, for example "fractalid.Me".
	Operation string
	// Route is the path template of the call for traces, for example
	// "/ekyc/admin/{userId}/sessions": never a real ID, never a query.
	Route string
	// ShownPath, when set, is the path that errors and log lines name
	// instead of the real one, for a path that holds a secret (Kraken's
	// one-time token). Traces name Route in any case.
	ShownPath string
	// Call holds the per-call options (nil: none).
	Call *CallSettings
}

// Response describes a reply: the public kyc.Response.
type Response = kyc.Response

// JoinPath joins path segments, escaping each one. An empty segment is
// refused, and "." and ".." are escaped so they can never move up a level.
func JoinPath(segments ...string) (string, error) {
	var b strings.Builder
	for _, s := range segments {
		if s == "" {
			return "", fmt.Errorf("kyc: %w: empty path parameter", kyc.ErrInvalidArgument)
		}
		b.WriteByte('/')
		switch s {
		case ".":
			b.WriteString("%2E")
		case "..":
			b.WriteString("%2E%2E")
		default:
			b.WriteString(url.PathEscape(s))
		}
	}
	return b.String(), nil
}

// acceptJSON is the Accept header of every request. Header values set
// from shared slices have their length as capacity, so appending to one
// copies it.
var acceptJSON = []string{"application/json"}[:1:1]

func (c *Client) newRequest(ctx context.Context, req *Request) (*http.Request, error) {
	var u *url.URL
	if req.URL != "" {
		pu, err := url.Parse(req.URL)
		if err != nil || pu.Host == "" {
			return nil, fmt.Errorf("kyc: %w: invalid URL", kyc.ErrInvalidArgument)
		}
		u = pu
	} else {
		u = c.BaseURL()
		raw := c.base.EscapedPath() + req.Path
		p, err := url.PathUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("kyc: %w: invalid path", kyc.ErrInvalidArgument)
		}
		u.Path, u.RawPath = p, raw
	}
	switch q := req.Query.(type) {
	case nil:
	case url.Values:
		u.RawQuery = q.Encode()
	default:
		v, err := query.Values(q)
		if err != nil {
			return nil, fmt.Errorf("kyc: %w: cannot encode query: %w", kyc.ErrInvalidArgument, err)
		}
		u.RawQuery = v.Encode()
	}
	var body io.Reader
	contentType := ""
	switch b := req.Body.(type) {
	case nil:
	case url.Values:
		body = strings.NewReader(b.Encode())
		contentType = "application/x-www-form-urlencoded"
	case io.Reader:
		body = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("kyc: %w: cannot encode request body: %w", kyc.ErrInvalidArgument, err)
		}
		body = bytes.NewReader(buf)
		contentType = "application/json"
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	// The request gets u itself: printing it for NewRequest to parse it
	// again would only cost allocations.
	hreq, err := http.NewRequestWithContext(ctx, method, "", body)
	if err != nil {
		return nil, fmt.Errorf("kyc: %w: cannot build request", kyc.ErrInvalidArgument)
	}
	hreq.URL = u
	hreq.Host = strings.TrimSuffix(u.Host, ":") // as NewRequest does with an empty port
	hreq.Header["User-Agent"] = c.uaHeader
	hreq.Header["Accept"] = acceptJSON
	if contentType != "" {
		hreq.Header["Content-Type"] = []string{contentType}
	}
	for k, vs := range c.header {
		hreq.Header[k] = vs
	}
	for k, vs := range req.Header {
		hreq.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if req.Call != nil {
		for k, vs := range req.Call.Header {
			hreq.Header[k] = vs
		}
	}
	return hreq, nil
}
