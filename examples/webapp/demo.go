package main

import (
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

// demoClientID is the client id of the app registered with the fake.
const demoClientID = "kyc-go-webapp-demo"

// demo is the in-process fake Fractal ID the app runs against when no
// credentials are set.
type demo struct {
	server *fractalidtest.Server
	config fractalid.Config
	user   string
}

// close stops the fake.
func (d *demo) close() { d.server.Close() }

// startDemo starts the fake with this app registered (redirectURI) and one
// demo user approved for level. The user has a name, a birth date and an
// email address, none of which the app shows or keeps.
func startDemo(redirectURI string, level fractalid.Level) (*demo, error) {
	secret, err := randomID()
	if err != nil {
		return nil, err
	}
	client := fractalidtest.ClientApp{ID: demoClientID, Secret: secret, RedirectURI: redirectURI}
	srv, err := fractalidtest.Start(fractalidtest.WithClient(client))
	if err != nil {
		return nil, err
	}
	u := srv.AddUser(fractalidtest.User{
		Emails: []fractalidtest.Email{{Address: "demo.user@example.com"}},
		Details: map[string]any{
			"full_name":                       "Demo User",
			"date_of_birth":                   "1990-01-01",
			"identification_document_country": "DE",
			"identification_document_type":    "passport",
			"liveness":                        true,
		},
	})
	if err := u.SetCase(level.String(), fractalidtest.Approved); err != nil {
		srv.Close()
		return nil, err
	}
	return &demo{
		server: srv,
		config: fractalid.Config{
			ClientID:     client.ID,
			ClientSecret: client.Secret,
			RedirectURL:  redirectURI,
			Environment:  srv.Environment(),
		},
		user: u.ID(),
	}, nil
}
