package krakentest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Mode says how a journey returns to the integrator.
type Mode int

const (
	// Redirect: the page sends the browser to the redirect URL with the
	// one-time token.
	Redirect Mode = iota
	// Iframe: the page, embedded in an iframe, posts a message to its parent.
	Iframe
)

// Completion is how a journey came back.
type Completion struct {
	// RedirectURL is where the page sent the browser (Redirect mode).
	RedirectURL *url.URL
	// Message is the data the page posted to its parent (Iframe mode), as
	// JSON, and Origin the origin it was posted from (the server's).
	Message []byte
	Origin  string
}

// String hides the one-time token and the message.
func (c Completion) String() string { return "krakentest.Completion{[redacted]}" }

// GoString is String.
func (c Completion) GoString() string { return c.String() }

// LogValue logs nothing of the token or message.
func (c Completion) LogValue() slog.Value { return slog.StringValue(c.String()) }

var (
	journeyRe = regexp.MustCompile(`name="journey" value="([0-9a-f]+)"`)
	messageRe = regexp.MustCompile(`(?s)<script type="application/json" id="kraken-message">(.*?)</script>`)
)

// Complete finishes the journey of a KYC link as a browser would, without
// running scripts: it opens the page (which checks the link token), submits
// its form and reports the redirect (Redirect) or the posted message
// (Iframe). The outcome is the one WithOutcome or SetOutcome scripted.
func (s *Server) Complete(ctx context.Context, kycURL string, mode Mode) (*Completion, error) {
	hc := *s.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	page, err := fetch(ctx, &hc, http.MethodGet, kycURL, nil)
	if err != nil {
		return nil, err
	}
	if page.status != http.StatusOK {
		return nil, fmt.Errorf("krakentest: KYC page answered %d", page.status)
	}
	m := journeyRe.FindStringSubmatch(page.body)
	if m == nil {
		return nil, errors.New("krakentest: KYC page has no form")
	}
	form := url.Values{"journey": {m[1]}, "embedded": {"0"}}
	if mode == Iframe {
		form.Set("embedded", "1")
	}
	res, err := fetch(ctx, &hc, http.MethodPost, s.URL()+"/kyc/complete", form)
	if err != nil {
		return nil, err
	}
	if mode == Iframe {
		mm := messageRe.FindStringSubmatch(res.body)
		if res.status != http.StatusOK || mm == nil {
			return nil, fmt.Errorf("krakentest: completion answered %d without a message", res.status)
		}
		return &Completion{Message: []byte(html.UnescapeString(strings.TrimSpace(mm[1]))), Origin: s.URL()}, nil
	}
	if res.status != http.StatusSeeOther {
		return nil, fmt.Errorf("krakentest: completion answered %d, not a redirect", res.status)
	}
	loc, err := url.Parse(res.location)
	if err != nil {
		return nil, errors.New("krakentest: completion redirect does not parse")
	}
	return &Completion{RedirectURL: loc}, nil
}

type fetched struct {
	status   int
	body     string
	location string
}

func fetch(ctx context.Context, hc *http.Client, method, u string, form url.Values) (*fetched, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("krakentest: %s request: %w", method, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("krakentest: %s %s: %w", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("krakentest: reading %s: %w", req.URL.Path, err)
	}
	return &fetched{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}, nil
}
