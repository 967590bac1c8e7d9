package apiclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kycgo/kyc"
)

// decodeModel has the shapes the clients' models use.
type decodeModel struct {
	ID      string            `json:"id"`
	N       int               `json:"n,omitempty"`
	F       float64           `json:"f"`
	OK      *bool             `json:"ok"`
	Tags    []string          `json:"tags"`
	Extra   map[string]any    `json:"extra"`
	Raw     json.RawMessage   `json:"raw"`
	Nested  *decodeModel      `json:"nested"`
	Strings map[string]string `json:"strings"`
	Any     any               `json:"any"`
}

// stdDecode is what the decoder replaced: encoding/json with the strict
// trailing-data check.
func stdDecode(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(out); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

var decodeSeeds = []string{
	`{"id":"1","n":2,"f":1.5e3,"ok":true,"tags":["a","b"],"extra":{"k":[1,{"x":null}]},"raw":{"a" : 1},"nested":{"id":"2"},"strings":{"a":"b"},"any":[1,"x",true,null]}`,
	`{"ID":"case","Tags":null,"ok":null}`, `{"id":"dup","id":"last"}`, `{"id":"\u00e9\ud83d\ude00\n"}`,
	"{\"id\":\"\xff\xfe\"}", `{"unknown":{"deep":[[[]]]}}`, `[]`, `null`, `{"n":1.5}`, `{"n":"1"}`, `{"id":5}`,
	`{"f":1e400}`, `{"tags":[1]}`, `{"id":"1"} {"id":"2"}`, `{"id":"1"`, ``, ` `, `{"id":"1"}  ` + "\n",
	`{"raw":nul}`, `{"extra":{"a":1,"a":2}}`, `{"nested":{"nested":{"n":-0}}}`,
}

// FuzzUnmarshalStrict checks the decoder against encoding/json: the same
// values accepted, the same result.
func FuzzUnmarshalStrict(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAgainstEncodingJSON(t, b)
	})
}

func TestUnmarshalStrictMatchesEncodingJSON(t *testing.T) {
	for _, s := range decodeSeeds {
		checkAgainstEncodingJSON(t, []byte(s))
	}
}

func checkAgainstEncodingJSON(t *testing.T, b []byte) {
	t.Helper()
	var got, want decodeModel
	gerr := unmarshalStrict(b, &got)
	werr := stdDecode(b, &want)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("%q: decode error %v, encoding/json error %v", b, gerr, werr)
	}
	if gerr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\ngot  %#v\nwant %#v", b, got, want)
	}
	var gotAny, wantAny any
	gerr = unmarshalStrict(b, &gotAny)
	werr = stdDecode(b, &wantAny)
	if (gerr == nil) != (werr == nil) || (gerr == nil && !reflect.DeepEqual(gotAny, wantAny)) {
		t.Fatalf("%q into any: %v %#v, encoding/json %v %#v", b, gerr, gotAny, werr, wantAny)
	}
}

func TestUnmarshalStrictErrors(t *testing.T) {
	for _, tc := range []struct {
		body string
		want error
		msg  string
	}{
		{``, io.ErrUnexpectedEOF, ""},
		{`{"id":"1","na`, io.ErrUnexpectedEOF, ""},
		{`{"id":"1"} {"id":"2"}`, errTrailingData, ""},
		{`{"id":"1"}x`, errTrailingData, ""},
		{`{"id":5}`, nil, `field "id"`},
		{`{"id":"1",}`, nil, "invalid JSON at offset"},
	} {
		var out decodeModel
		err := unmarshalStrict([]byte(tc.body), &out)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, want %v %q", tc.body, err, tc.want, tc.msg)
		}
	}
}

func TestReadCapped(t *testing.T) {
	body := strings.Repeat("x", 10_000)
	for _, tc := range []struct {
		name  string
		r     io.Reader
		cl    int64
		limit int64
		want  error
	}{
		{"sized", strings.NewReader(body), int64(len(body)), 10_000, nil},
		{"no length, grows", iotest.HalfReader(strings.NewReader(body)), -1, 10_000, nil},
		{"one byte reads", iotest.OneByteReader(strings.NewReader(body)), -1, 10_000, nil},
		{"over the cap, no length", strings.NewReader(body), -1, 9_999, kyc.ErrResponseTooLarge},
		{"length over the cap: nothing read", iotest.ErrReader(errors.New("must not read")), 10_001, 10_000, kyc.ErrResponseTooLarge},
		{"length lies low", strings.NewReader(body), 10, 9_999, kyc.ErrResponseTooLarge},
		{"cut short", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(io.ErrUnexpectedEOF)), 10, 100, io.ErrUnexpectedEOF},
		{"read error", iotest.ErrReader(errors.New("reset")), -1, 100, nil},
		// The largest cap has no byte past it: no overflow, no panic.
		{"cap MaxInt64, sized", strings.NewReader(body), int64(len(body)), math.MaxInt64, nil},
		{"cap MaxInt64, no length", iotest.HalfReader(strings.NewReader(body)), -1, math.MaxInt64, nil},
		// A claimed length within a huge cap is not allocated up front:
		// the body is read as it comes, and it is short.
		{"huge claimed length", strings.NewReader(body), math.MaxInt64 - 1, math.MaxInt64, nil},
		{"huge claimed length, cut short", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(io.ErrUnexpectedEOF)), 1 << 50, 1 << 60, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readCapped(tc.r, tc.cl, tc.limit)
			switch {
			case tc.name == "read error":
				if err == nil || !strings.Contains(err.Error(), "reading response body") {
					t.Fatalf("err = %v", err)
				}
			case tc.want != nil:
				if !errors.Is(err, tc.want) || got != nil {
					t.Fatalf("err = %v, %d bytes", err, len(got))
				}
			default:
				if err != nil || string(got) != body {
					t.Fatalf("err = %v, %d bytes, cap %d", err, len(got), cap(got))
				}
			}
		})
	}
}
