package ekycadmin_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/internal/apiclient"
)

// diffModel decodes b into a new T with encoding/json and with the core's
// decoder (what the client uses) and fails t on any difference in
// acceptance or in the value (compared through its JSON).
func diffModel[T any](t *testing.T, b []byte) {
	t.Helper()
	var std, core T
	stdErr := json.Unmarshal(b, &std)
	coreErr := apiclient.Unmarshal(b, &core)
	if (stdErr == nil) != (coreErr == nil) {
		t.Fatalf("%T: encoding/json error %v, core decoder error %v", std, stdErr, coreErr)
	}
	if stdErr != nil {
		return
	}
	sj, err := json.Marshal(std)
	if err != nil {
		t.Fatal(err)
	}
	cj, err := json.Marshal(core)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sj, cj) {
		t.Fatalf("%T: decoders differ:\nencoding/json %s\ncore          %s", std, sj, cj)
	}
}

// TestCoreDecoderMatchesEncodingJSON: the EKYC models decode from the
// fixtures (and broken variants of them) through the client's decoder
// exactly as through encoding/json.
func TestCoreDecoderMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, b []byte) {
		diffModel[ekycadmin.Page](t, b)
		diffModel[ekycadmin.UserSessions](t, b)
		diffModel[ekycadmin.UserStatus](t, b)
		diffModel[ekycadmin.Session](t, b)
	}
	for _, name := range []string{"list_page.json", "session_created.json", "user_sessions.json", "user_status.json", "user_status_empty.json"} {
		body := []byte(fixture(t, name))
		t.Run(name, func(t *testing.T) {
			check(t, body)
			check(t, body[:len(body)/2])
			check(t, append(bytes.Clone(body), []byte(` {}`)...))
			check(t, bytes.ReplaceAll(body, []byte(`"`), []byte(`'`)))
		})
	}
}

func FuzzCoreDecoderModels(f *testing.F) {
	for _, name := range []string{"list_page.json", "session_created.json", "user_sessions.json", "user_status.json", "user_status_empty.json"} {
		f.Add([]byte(fixture(f, name)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		diffModel[ekycadmin.Page](t, b)
		diffModel[ekycadmin.UserSessions](t, b)
		diffModel[ekycadmin.UserStatus](t, b)
	})
}
