package fractalid

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"unicode/utf8"
)

// keyState records, for each known key of a decoded object (by field
// index), whether the body carried it with a value or with null, so that
// MarshalJSON gives back the keys the body had: a key sent with an empty
// value ("", [], false) or with null is written back as it came, and a key
// the body did not have stays out.
type keyState struct {
	present, null [2]uint64
}

func (k *keyState) setPresent(i int) { k.present[i>>6] |= 1 << (i & 63) }
func (k *keyState) setNull(i int)    { k.null[i>>6] |= 1 << (i & 63) }
func (k *keyState) isPresent(i int) bool {
	return k.present[i>>6]&(1<<(i&63)) != 0
}
func (k *keyState) isNull(i int) bool { return k.null[i>>6]&(1<<(i&63)) != 0 }

var errMalformedJSON = errors.New("fractalid: malformed JSON")

// objectScanner walks the members of one JSON object in place, without
// decoding values: the caller decodes the value of each key it knows.
type objectScanner struct {
	b     []byte
	i     int
	first bool
	done  bool
}

// openObject starts scanning b, which must hold a JSON object. null gives
// a done scanner and isNull true. Other values give an
// *json.UnmarshalTypeError naming what, for the caller's error.
func openObject(b []byte, what reflect.Type, field string) (s objectScanner, isNull bool, err error) {
	i := skipSpace(b, 0)
	if i >= len(b) {
		return s, false, errMalformedJSON
	}
	switch b[i] {
	case '{':
		return objectScanner{b: b, i: i + 1, first: true}, false, nil
	case 'n':
		if string(bytes.TrimRight(b[i:], " \t\r\n")) == "null" {
			return objectScanner{done: true}, true, nil
		}
		return s, false, errMalformedJSON
	}
	return s, false, &json.UnmarshalTypeError{Value: jsonKindName(b[i:]), Type: what, Field: field}
}

// next returns the next member's key (unescaped) and raw value. It returns
// ok false at the end of the object or on malformed input (err set).
func (s *objectScanner) next() (key, val []byte, ok bool, err error) {
	if s.done {
		return nil, nil, false, nil
	}
	b := s.b
	i := skipSpace(b, s.i)
	if i >= len(b) {
		return nil, nil, false, errMalformedJSON
	}
	if s.first {
		s.first = false
		if b[i] == '}' {
			s.done = true
			return nil, nil, false, trailingSpace(b, i+1)
		}
	} else {
		switch b[i] {
		case '}':
			s.done = true
			return nil, nil, false, trailingSpace(b, i+1)
		case ',':
			i = skipSpace(b, i+1)
		default:
			return nil, nil, false, errMalformedJSON
		}
	}
	if i >= len(b) || b[i] != '"' {
		return nil, nil, false, errMalformedJSON
	}
	kEnd := skipString(b, i)
	if kEnd > len(b) {
		return nil, nil, false, errMalformedJSON
	}
	key = b[i+1 : kEnd-1]
	if bytes.IndexByte(key, '\\') >= 0 {
		k, ok := jsonString(b[i:kEnd])
		if !ok {
			return nil, nil, false, errMalformedJSON
		}
		key = []byte(k)
	}
	i = skipSpace(b, kEnd)
	if i >= len(b) || b[i] != ':' {
		return nil, nil, false, errMalformedJSON
	}
	vStart := skipSpace(b, i+1)
	vEnd := skipValue(b, vStart)
	if vEnd <= vStart || vEnd > len(b) {
		return nil, nil, false, errMalformedJSON
	}
	s.i = vEnd
	return key, b[vStart:vEnd], true, nil
}

// trailingSpace accepts only white space after a value.
func trailingSpace(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errMalformedJSON
	}
	return nil
}

// eachElement calls fn with each element of the JSON array val (which
// starts with '['); fn gets the element's raw bytes.
func eachElement(val []byte, fn func(elem []byte) error) error {
	i := skipSpace(val, 1)
	if i < len(val) && val[i] == ']' {
		return trailingSpace(val, i+1)
	}
	for {
		end := skipValue(val, i)
		if end <= i || end > len(val) {
			return errMalformedJSON
		}
		if err := fn(val[i:end]); err != nil {
			return err
		}
		i = skipSpace(val, end)
		if i >= len(val) {
			return errMalformedJSON
		}
		switch val[i] {
		case ']':
			return trailingSpace(val, i+1)
		case ',':
			i = skipSpace(val, i+1)
		default:
			return errMalformedJSON
		}
	}
}

// countElements returns a capacity hint for the array val: its number of
// top-level commas plus one. It only reads structure.
func countElements(val []byte) int {
	n, depth := 1, 0
	for j := 1; j < len(val); j++ {
		switch val[j] {
		case '"':
			j = skipString(val, j) - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		}
	}
	return n
}

// isNullValue reports whether val is the JSON literal null.
func isNullValue(val []byte) bool { return string(val) == "null" }

// typeError is the error of a known key whose value has the wrong type.
func typeError(val []byte, t reflect.Type, field string) error {
	return &json.UnmarshalTypeError{Value: jsonKindName(val), Type: t, Field: field}
}

// stringValue decodes a JSON string value.
func stringValue(val []byte, field string) (string, error) {
	if len(val) == 0 || val[0] != '"' {
		return "", typeError(val, reflect.TypeFor[string](), field)
	}
	s, ok := fastString(val)
	if !ok {
		return "", errMalformedJSON
	}
	return s, nil
}

// boolValue decodes a JSON boolean.
func boolValue(val []byte, field string) (*bool, error) {
	var v bool
	switch string(val) {
	case "true":
		v = true
	case "false":
	default:
		return nil, typeError(val, reflect.TypeFor[bool](), field)
	}
	return &v, nil
}

// addExtra keeps an unknown key's raw value (copied: the caller's buffer
// may be reused) in *m.
func addExtra(m *map[string]json.RawMessage, key, val []byte) error {
	if !json.Valid(val) {
		return errMalformedJSON
	}
	if *m == nil {
		*m = make(map[string]json.RawMessage, 2)
	}
	(*m)[string(key)] = json.RawMessage(bytes.Clone(val))
	return nil
}

// objectWriter writes one JSON object for MarshalJSON.
type objectWriter struct {
	buf   []byte
	names []string // keys written so far
	state *keyState
	err   error
}

func newObjectWriter(state *keyState) *objectWriter {
	return &objectWriter{buf: append(make([]byte, 0, 256), '{'), state: state}
}

func (w *objectWriter) key(k string) {
	if len(w.names) > 0 {
		w.buf = append(w.buf, ',')
	}
	w.names = append(w.names, k)
	w.buf = appendJSONString(w.buf, k)
	w.buf = append(w.buf, ':')
}

// written reports whether the known key i is to be written although its
// value is empty: it was in the decoded body. A key decoded as null is
// written as null.
func (w *objectWriter) keep(i int, k string, empty bool) bool {
	if !empty {
		return true
	}
	if w.state.isNull(i) {
		w.key(k)
		w.buf = append(w.buf, "null"...)
		return false
	}
	return w.state.isPresent(i)
}

func (w *objectWriter) str(i int, k, v string) {
	if w.keep(i, k, v == "") {
		w.key(k)
		w.buf = appendJSONString(w.buf, v)
	}
}

func (w *objectWriter) boolPtr(i int, k string, v *bool) {
	if w.keep(i, k, v == nil) {
		w.key(k)
		if v == nil || !*v {
			w.buf = append(w.buf, "false"...)
		} else {
			w.buf = append(w.buf, "true"...)
		}
	}
}

// value writes a value that marshals itself; empty says it is unset.
func (w *objectWriter) value(i int, k string, empty bool, v any) {
	if !w.keep(i, k, empty) {
		return
	}
	w.key(k)
	if empty {
		w.buf = append(w.buf, "null"...)
		return
	}
	b, err := json.Marshal(v)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.buf = append(w.buf, b...)
}

// array writes a slice of n items with each; a slice decoded as [] is
// written back as [].
func (w *objectWriter) array(i int, k string, n int, each func(j int) ([]byte, error)) {
	if !w.keep(i, k, n == 0) {
		return
	}
	w.key(k)
	w.buf = append(w.buf, '[')
	for j := range n {
		if j > 0 {
			w.buf = append(w.buf, ',')
		}
		b, err := each(j)
		if err != nil && w.err == nil {
			w.err = err
		}
		w.buf = append(w.buf, b...)
	}
	w.buf = append(w.buf, ']')
}

// extra writes the Extra keys not already written (a modelled key wins),
// in key order; values that are not valid JSON are left out.
func (w *objectWriter) extra(m map[string]json.RawMessage) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !slices.Contains(w.names, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := m[k]
		if !json.Valid(v) {
			continue
		}
		w.key(k)
		w.buf = append(w.buf, bytes.TrimSpace(v)...)
	}
}

func (w *objectWriter) finish() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return append(w.buf, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = utf8.AppendRune(dst, utf8.RuneError)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
