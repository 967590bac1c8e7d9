package fractalid

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kycgo/kyc/internal/apiclient"
)

// The client decodes response bodies with the core's decoder, not with
// encoding/json. These check that a User comes out of it exactly as it
// comes out of encoding/json: same acceptance, same value (compared
// through its JSON, which round-trips the body), so the round-trip and
// fuzz tests written against encoding/json hold for what users get.

// diffUser decodes b both ways and fails t on any difference.
func diffUser(t *testing.T, b []byte) {
	t.Helper()
	var std, core User
	stdErr := json.Unmarshal(b, &std)
	coreErr := apiclient.Unmarshal(b, &core)
	if (stdErr == nil) != (coreErr == nil) {
		t.Fatalf("encoding/json error %v, core decoder error %v, on %q", stdErr, coreErr, b)
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
		t.Fatalf("decoders differ on %q:\nencoding/json %s\ncore          %s", b, sj, cj)
	}
}

func TestCoreDecoderMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for name, body := range roundTripBodies {
		t.Run(name, func(t *testing.T) { diffUser(t, []byte(body)) })
	}
	for _, name := range []string{"users_me_seed.json", "users_me_all_details.json", "users_me_unknown.json"} {
		t.Run(name, func(t *testing.T) { diffUser(t, readFixture(t, name)) })
	}
	for _, body := range []string{`null`, `{}`, `[]`, `{"uid":1}`, `{"emails":{}}`, `{"uid":"a"} x`, `{"uid":"a"}{}`, `{"uid":"\ud800"}`} {
		t.Run(body, func(t *testing.T) { diffUser(t, []byte(body)) })
	}
}

func FuzzCoreDecoderUser(f *testing.F) {
	for _, name := range []string{"users_me_seed.json", "users_me_all_details.json", "users_me_unknown.json"} {
		f.Add(readFixture(f, name))
	}
	for _, body := range roundTripBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, b []byte) { diffUser(t, b) })
}
