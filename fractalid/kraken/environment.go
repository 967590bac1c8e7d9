package kraken

import (
	"errors"
	"net/url"
	"strings"
)

// Environment holds the Kraken hosts of one environment. Every URL can be
// overridden (a field of a copy, or option.WithBaseURL on a client).
type Environment struct {
	// Name is a label for logs ("production", "staging").
	Name string
	// KYCURL is the base of the hosted KYC page: KYCURL + "/kyc?token=…".
	KYCURL string
	// APIURL is the base of the API (GET /public/kyc/…).
	APIURL string
	// MessageOrigin is the origin of the iframe's postMessage events; a
	// front end must ignore messages from any other origin.
	MessageOrigin string
}

// Production is Kraken's production environment, https://kraken.fractal.id
// (documented).
var Production = Environment{
	Name:          "production",
	KYCURL:        "https://kraken.fractal.id",
	APIURL:        "https://kraken.fractal.id",
	MessageOrigin: "https://kraken.fractal.id",
}

// Staging is Kraken's staging environment,
// https://kraken.staging.sandbox.fractal.id. The host is known from an
// earlier revision of Fractal's docs and from integrators' code, not from
// the current docs: confirm it with Fractal.
var Staging = Environment{
	Name:          "staging",
	KYCURL:        "https://kraken.staging.sandbox.fractal.id",
	APIURL:        "https://kraken.staging.sandbox.fractal.id",
	MessageOrigin: "https://kraken.staging.sandbox.fractal.id",
}

// Validate checks that the KYC and API URLs are absolute http(s) URLs
// without query or fragment, and that MessageOrigin (when set) is an origin.
func (e Environment) Validate() error {
	for _, u := range []struct{ name, v string }{{"KYCURL", e.KYCURL}, {"APIURL", e.APIURL}} {
		if err := checkBase(u.v); err != nil {
			return errors.New("kraken: environment " + u.name + ": " + err.Error())
		}
	}
	if e.MessageOrigin != "" {
		if _, err := parseOrigin(e.MessageOrigin); err != nil {
			return errors.New("kraken: environment MessageOrigin: " + err.Error())
		}
	}
	return nil
}

func checkBase(raw string) error {
	if raw == "" {
		return errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("must be an absolute http(s) URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not carry user info, query or fragment")
	}
	return nil
}

// parseOrigin normalises "scheme://host[:port]" (lower case, no path).
func parseOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("not an http(s) origin")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("an origin has no path, query, fragment or user info")
	}
	host := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case u.Scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return strings.ToLower(u.Scheme) + "://" + host, nil
}

// CheckMessageOrigin reports whether origin (a MessageEvent's origin, as
// the front end forwarded it) is the environment's MessageOrigin. It
// returns an error matching ErrMessageOrigin otherwise.
func (e Environment) CheckMessageOrigin(origin string) error {
	want, err := parseOrigin(e.MessageOrigin)
	if err != nil {
		return &MessageError{Reason: "the environment has no valid MessageOrigin", origin: true}
	}
	got, err := parseOrigin(origin)
	if err != nil || got != want {
		return &MessageError{Reason: "message from an unexpected origin", origin: true}
	}
	return nil
}
