package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kycgo/kyc"
)

// maxErrorBody is how much of an error body a *kyc.APIError keeps.
const maxErrorBody = 8 << 10

func (c *Client) apiError(hreq *http.Request, resp *http.Response, st *callState, perm string) error {
	e := &kyc.APIError{
		StatusCode:         resp.StatusCode,
		Method:             hreq.Method,
		Path:               pathOf(hreq),
		RequestID:          requestID(resp.Header),
		Attempts:           st.attempts,
		Header:             resp.Header,
		RequiredPermission: perm,
	}
	if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = ra
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e.Body = body
	if c.decodeErr != nil {
		if err := c.decodeErr(e, body); err != nil {
			return err
		}
	}
	return e
}

func (c *Client) transportFailure(ctx context.Context, hreq *http.Request, st *callState, err error) error {
	var re *kyc.ReauthorizationRequiredError
	var te *kyc.TokenError
	if errors.As(err, &re) {
		return re
	}
	if errors.As(err, &te) {
		return te
	}
	var rde *kyc.RedirectError
	if errors.As(err, &rde) {
		return rde
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kyc: %s %s: %w", hreq.Method, pathOf(hreq), ctxErr)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return &kyc.TransportError{Method: hreq.Method, Path: pathOf(hreq), Attempts: st.attempts, Err: err}
}

func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Correlation-Id"} {
		if v := h.Get(k); v != "" {
			if len(v) > 128 {
				v = v[:128]
			}
			return v
		}
	}
	return ""
}
