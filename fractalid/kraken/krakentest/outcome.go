package krakentest

import (
	"errors"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/kycgo/kyc/fractalid/kraken"
)

// Outcome is what a completed journey produces: the user's state, the
// note of the webhook, the data and files the API returns. The fake's
// replies are built from it, so they are consistent with each other.
type Outcome struct {
	// State is the user's KYC state after the journey (default approved).
	State kraken.KYCState
	// Note is the webhook note (a rejection reason).
	Note string
	// ExternalState, when set, is sent as the session's externalState.
	ExternalState string
	// Person is the data GET /public/kyc/{userId}/data returns.
	Person Person
	// Files are the bytes GET /public/kyc/{userId}/file/{kind} returns;
	// a kind not in the map answers 404.
	Files map[kraken.FileKind][]byte
	// PageError, when set, makes the hosted page fail instead of finishing:
	// in an iframe it posts {"response": "rejected", "error": PageError};
	// in a redirect it sends the user back with no one-time token and
	// error=PageError (the docs describe no failure redirect). No user is
	// created.
	PageError string
}

// Person is the applicant data of an Outcome.
type Person struct {
	FirstName, LastName, DOB, PlaceOfBirth string
	// Nationality is ISO 3166-1 alpha-3.
	Nationality  string
	Email, Phone string
	// Document is the identity document.
	Document kraken.IDDoc
}

// String hides the personal data.
func (p Person) String() string { return "krakentest.Person{[redacted]}" }

// GoString hides the personal data.
func (p Person) GoString() string { return p.String() }

// LogValue hides the personal data.
func (p Person) LogValue() slog.Value { return slog.StringValue(p.String()) }

// String shows the state only.
func (o Outcome) String() string { return "krakentest.Outcome{State: " + string(o.State) + "}" }

// GoString shows the state only.
func (o Outcome) GoString() string { return o.String() }

// LogValue logs the state only.
func (o Outcome) LogValue() slog.Value { return slog.StringValue(o.String()) }

// DefaultOutcome is an approved applicant with a made-up identity and a
// front and back image of the identity document and a selfie.
func DefaultOutcome() Outcome {
	return Outcome{
		State: kraken.StateApproved,
		Person: Person{
			FirstName: "Ada", LastName: "Example", DOB: "1990-01-31", PlaceOfBirth: "Exampletown",
			Nationality: "DEU", Email: "ada@example.test", Phone: "+4915550000000",
			Document: kraken.IDDoc{Country: "DEU", Number: "X0000000", IDDocType: "PASSPORT", IssuedDate: "2020-01-01", ValidUntil: "2030-01-01"},
		},
		Files: map[kraken.FileKind][]byte{
			kraken.FileIDFront: fakeJPEG("idFront"),
			kraken.FileIDBack:  fakeJPEG("idBack"),
			kraken.FileSelfie:  fakeJPEG("selfie"),
		},
	}
}

// fakeJPEG returns a few bytes that start like a JPEG file.
func fakeJPEG(label string) []byte {
	return append([]byte{0xff, 0xd8, 0xff, 0xe0}, []byte("krakentest "+label)...)
}

func (o Outcome) validate() error {
	if o.State == "" && o.PageError == "" {
		return errors.New("krakentest: Outcome: no State")
	}
	return nil
}

func (o Outcome) clone() Outcome {
	o.Files = maps.Clone(o.Files)
	for k, v := range o.Files {
		o.Files[k] = slices.Clone(v)
	}
	return o
}

// SetOutcome sets the outcome of the journeys completed from now on.
func (s *Server) SetOutcome(o Outcome) error {
	if err := o.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcome = o.clone()
	return nil
}

// User is a Kraken user created by a completed journey.
type User struct {
	// ID is the user id (the session's userId, the webhook's id).
	ID string
	// Level and State are the link token's level and state claims.
	Level, LinkState string
	// Outcome is the scripted outcome, with its current State and Note.
	Outcome Outcome
	// Completed is when the journey finished, by the fake's clock.
	Completed time.Time
}

// String shows the id and state only.
func (u User) String() string {
	return "krakentest.User{ID: " + u.ID + ", State: " + string(u.Outcome.State) + "}"
}

// GoString shows the id and state only.
func (u User) GoString() string { return u.String() }

// LogValue logs the id and state only.
func (u User) LogValue() slog.Value { return slog.StringValue(u.String()) }

type user struct {
	User
}

// Users returns the users created so far, oldest first.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.order))
	for _, id := range s.order {
		u := s.users[id].User
		u.Outcome = u.Outcome.clone()
		out = append(out, u)
	}
	return out
}

// SetState moves a user to state with note (say from pending to
// approved); send the webhook with SendWebhook.
func (s *Server) SetState(userID string, state kraken.KYCState, note string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return errors.New("krakentest: SetState: no such user")
	}
	u.Outcome.State, u.Outcome.Note = state, note
	return nil
}

// dataJSON builds the Sumsub-style applicant data integrators read.
func (u *user) dataJSON() map[string]any {
	p := u.Outcome.Person
	answer := ""
	switch u.Outcome.State {
	case kraken.StateApproved:
		answer = "GREEN"
	case kraken.StateRejected:
		answer = "RED"
	}
	review := map[string]any{"levelName": u.Level}
	if answer != "" {
		review["reviewResult"] = map[string]any{"reviewAnswer": answer}
	}
	return map[string]any{
		"id": u.ID,
		"info": map[string]any{
			"firstNameEn": p.FirstName, "lastNameEn": p.LastName, "dob": p.DOB,
			"placeOfBirth": p.PlaceOfBirth, "nationality": p.Nationality,
			"idDocs": []any{map[string]any{
				"country": p.Document.Country, "number": p.Document.Number, "idDocType": p.Document.IDDocType,
				"issuedDate": p.Document.IssuedDate, "validUntil": p.Document.ValidUntil,
			}},
		},
		"review":    review,
		"agreement": map[string]any{"acceptedAt": u.Completed.UTC().Format("2006-01-02 15:04:05")},
		"email":     p.Email,
		"phone":     p.Phone,
	}
}
