package webhooks

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// slowParse is the encoding/json path of Parse alone.
func slowParse(payload []byte) (*Event, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, invalidPayload("not a notification object", err)
	}
	return parseEnvelope(&env)
}

var fastParseSeeds = []string{
	`{"type":"verification_approved","data":{"level":"basic","user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812","timestamp":"2020-04-02T13:35:35Z"}}`,
	`{"type":"credential_shared","data":{"idos_human_id":"H","credential_id":"C","shared_at":"2020-04-02T13:35:35Z"}}`,
	`{"type":"email_changed","data":{"user_id":"u","email":"a@b.c"}}`,
	`{"type":"authorization_revoked","data":{"user_id":"u"}}`,
	`{"type":"level_upgraded","data":{"user_id":"u1","levels":["basic","plus"]}}`,
	` { "data" : { "timestamp" : 1585834535 , "level" : null } , "type" : "verification_rejected" } `,
	`{"type":"verification_approved","data":{"timestamp":{"s":[1,"}"]},"user_id":"a","user_id":null,"level":""}}`,
	`{"type":"verification_approved","data":{"Level":"basic"}}`,
	`{"TYPE":"verification_approved","data":{}}`,
	`{"type":"verification_approved","data":{"level":"b\u0061sic","x":"\"}"}}`,
	`{"type":"verification_approved","data":{"level":"bäsic"}}`,
	`{"type":"verification_approved","data":{"timestamp":"2020-04-02T13:35:35Z","timestamp":null}}`,
	`{"type":"verification_approved","data":{"timestamp":null,"timestamp":"2020"}}`,
	`{"type":"verification_approved","data":"x"}`,
	`{"type":"verification_approved","data":null}`,
	`{"type":"verification_approved"}`,
	`{"type":"x","type":"y","data":1,"data":[]}`,
	`{"type":null}`, `{"type":""}`, `{"type":1}`, `[]`, `null`, ``, `{`, `{"type":"a"} x`,
	`{"type":"email_changed","data":{"email":["x"]}}`,
	`{"type":"x","data":[1.5e3,-0,0.25E-2,true,false,null,"\u00e9\n\/",{},[]]}`,
	`{"type":"x","data":01}`, `{"type":"x","data":1.}`, `{"type":"x","data":-}`, `{"type":"x","data":1e}`,
	"{\"type\":\"x\",\"data\":\"\x01\"}", `{"type":"x","data":"\x"}`, `{"type":"x","data":"\u12G4"}`,
	"{\"type\":\"x\",\"data\":\"aaaaaaaaaaaaaaaaa\x01aaaaaaaaaaaaaa\"}", `{"type":"x","data":"aaaaaaaaaaaa\"aaaaaaaaaaaaaaaa\\\\"}`,
	`{"type":"x","data":"aaaaaaaaaaaa\qaaaaaaaaaaa"}`, "{\"type\":\"x\",\"data\":\"aaaaaaaa\xff\xfeaaaaaaaaaaaaaaaaa\"}",
	`{"type":"x","data":tru}`, `{"type":"x","data":[1,]}`, `{"type":"x","data":{"a":1,}}`, `{"type":"x",}`,
	`{"type":"x","data":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`,
	`{"type":"verification_approved","data":{"level":"a\\","user_id":"\\\"","timestamp":"\\"}}`, `{"type":"verification_approved","data":{"user_id":42}}`,
}

// FuzzParseFast checks that whatever the fast path accepts, the
// encoding/json path decodes to the same Event, and that the type the
// Verifier reads to choose a secret is the type encoding/json reads.
func FuzzParseFast(f *testing.F) {
	for _, s := range fastParseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkFastParse(t, payload)
	})
}

func TestParseFastAgreesWithEncodingJSON(t *testing.T) {
	fast := 0
	for _, s := range fastParseSeeds {
		if checkFastParse(t, []byte(s)) {
			fast++
		}
	}
	if fast < 8 {
		t.Errorf("the fast path took only %d of the seeds", fast)
	}
}

func checkFastParse(t *testing.T, payload []byte) bool {
	t.Helper()
	want, werr := slowParse(payload)
	if typ, ok := scanType(payload); ok {
		var env envelope
		if err := json.Unmarshal(payload, &env); err != nil || env.Type != typ {
			t.Fatalf("%q: fast type %q, encoding/json type %q (%v)", payload, typ, env.Type, err)
		}
	}
	for _, alias := range []bool{false, true} {
		got, ok := parseFast(payload, alias)
		if !ok {
			continue
		}
		if werr != nil {
			t.Fatalf("%q: fast path accepted what encoding/json refuses (%v): %#v", payload, werr, got)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q (alias %v):\nfast %+v %+v\njson %+v %+v", payload, alias, got, got.Verification, want, want.Verification)
		}
		if got.DedupKey() != want.DedupKey() {
			t.Fatalf("%q: DedupKey differs", payload)
		}
	}
	_, ok := parseFast(payload, false)
	return ok
}

func TestPlainWord(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			want := c != '"' && c != '\\' && c >= 0x20
			// Bytes >= 0x80 are plain too (UTF-8 is not checked here).
			if got := plainWord(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56); got != want {
				t.Fatalf("byte %#x at %d: plainWord = %v", c, pos, got)
			}
		}
	}
	// Random words, bytes drawn mostly from the edges of the classes.
	edges := []byte{0, 1, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0x9f, 0xa0, 0xdc, 0xfe, 0xff}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		var x uint64
		want := true
		for k := range 8 {
			c := edges[r.IntN(len(edges))]
			if r.IntN(4) == 0 {
				c = byte(r.IntN(256))
			}
			x |= uint64(c) << (8 * k)
			want = want && c != '"' && c != '\\' && c >= 0x20
		}
		if plainWord(x) != want {
			t.Fatalf("%#016x: plainWord = %v", x, !want)
		}
	}
}
