// Package ekycadmintest is an in-process fake of the EKYC admin sessions
// API (Klustr's "EKYC Admin APIs") for unit tests, like net/http/httptest:
// a real HTTP server on 127.0.0.1 that the ekycadmin client cannot tell from
// the real service. It has the same paths, status codes, error bodies and
// token rules, keeps state in memory, uses no globals, is safe in parallel
// tests and closes itself through t.Cleanup.
//
//	srv := ekycadmintest.NewServer(t)
//	srv.AddUser(ekycadmintest.ValidUser("user-1"))
//	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
//	c, _ := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()),
//		ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, secret))
//
// # What it models
//
//   - POST /oauth2/token: the client-credentials grant with HTTP Basic
//     client authentication, as the real token server (Ory Hydra) answers
//     it, RFC 6749 errors included. The token is opaque; the permissions of
//     the credential are bound to it when it is issued.
//   - GET /ekyc/admin (ekyc.session.list): offset pagination with start and
//     limit (default 1024), no total, users in the order their first
//     session was made.
//   - GET /ekyc/admin/{userId}/sessions (ekyc.session.get): 404
//     {"status":404,"error":{"reason":"No sessions available for the user id."}}
//     for a user without a session record.
//   - POST /ekyc/admin/{userId}/sessions (ekyc.session.create): the identity
//     must have a name with given and family names, a date of birth and an
//     age of at least 14, else 400 with the server's reasons; every call
//     makes a new session (the endpoint is not idempotent).
//   - GET /ekyc/admin/{userId}/status (ekyc.session.get): never 404; the
//     first session in each of the created, started, submitted, success,
//     rejected and expired buckets, total_sessions, and verification once a
//     decision arrived.
//   - A missing permission is answered 401 {"missing_permissions":[...]};
//     a missing, unknown, expired or revoked token 401 with
//     WWW-Authenticate: Bearer error="invalid_token" and an empty body.
//
// A test plays the verification provider with SetSessionStatus (an event:
// started, submitted) and Decide (a decision: approved, declined, expired,
// ...; final decisions remove the session from the user's map and write the
// person-level verdict, as the real server does).
//
// Where the real API's behaviour is not documented (how a permission
// denial surfaces, what an unknown user gives on create, which spelling the
// verdict takes) the fake has an option; its defaults are the documented or
// most likely behaviour.
//
// # Faults and the request log
//
// InjectFault makes the next requests to an endpoint fail with a status
// (with or without Retry-After), an HTML error page, a hang, a connection
// reset before or after the request is read, a truncated body or an
// oversized body. Requests returns what the server received, with the
// Authorization header redacted. These come from kyctest.Fake, which every
// fake of this module embeds; the faults are kyctest.Fault values.
package ekycadmintest
