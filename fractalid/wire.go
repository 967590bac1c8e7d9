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

// keySelf is the keyState bit that records that the decoded value was
// itself null (an array element sent as null): its MarshalJSON writes null
// back while the value is still empty. Field indexes stay below it.
const keySelf = 127

func (k *keyState) setPresent(i int) { k.present[i>>6] |= 1 << (i & 63) }
func (k *keyState) setNull(i int)    { k.null[i>>6] |= 1 << (i & 63) }
func (k *keyState) isPresent(i int) bool {
	return k.present[i>>6]&(1<<(i&63)) != 0
}
func (k *keyState) isNull(i int) bool { return k.null[i>>6]&(1<<(i&63)) != 0 }

var errMalformedJSON = errors.New("fractalid: malformed JSON")

// objectScanner walks the members of one JSON object in place, in one
// pass: the caller decodes each value where it starts (nested objects and
// arrays are decoded where they lie, never scanned first) and moves the
// scanner past it.
type objectScanner struct {
	b     []byte
	i     int // the next byte to read
	first bool
	done  bool
}

// openObjectAt starts scanning the JSON object at b[i] for a value whose
// key state is ks. null gives isNull true, marks ks as null (keySelf) and
// leaves the scanner after it. Other values give an
// *json.UnmarshalTypeError naming what, for the caller's error.
func openObjectAt(b []byte, i int, ks *keyState, what reflect.Type, field string) (s objectScanner, isNull bool, err error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return s, false, errMalformedJSON
	}
	switch b[i] {
	case '{':
		return objectScanner{b: b, i: i + 1, first: true}, false, nil
	case 'n':
		if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
			ks.setNull(keySelf)
			return objectScanner{b: b, i: i + 4, done: true}, true, nil
		}
		return s, false, errMalformedJSON
	}
	return s, false, typeError(b[i:], what, field)
}

// nextKey returns the next member's key (unescaped) and leaves the scanner
// at the start of its value, which the caller must consume (value, or a
// decoder followed by at). It returns ok false after the closing brace.
func (s *objectScanner) nextKey() (key []byte, ok bool, err error) {
	if s.done {
		return nil, false, nil
	}
	b := s.b
	i := skipSpace(b, s.i)
	if i >= len(b) {
		return nil, false, errMalformedJSON
	}
	if s.first {
		s.first = false
		if b[i] == '}' {
			s.done, s.i = true, i+1
			return nil, false, nil
		}
	} else {
		switch b[i] {
		case '}':
			s.done, s.i = true, i+1
			return nil, false, nil
		case ',':
			i = skipSpace(b, i+1)
		default:
			return nil, false, errMalformedJSON
		}
	}
	if i >= len(b) || b[i] != '"' {
		return nil, false, errMalformedJSON
	}
	kEnd := skipString(b, i)
	if kEnd > len(b) {
		return nil, false, errMalformedJSON
	}
	key = b[i+1 : kEnd-1]
	if bytes.IndexByte(key, '\\') >= 0 {
		k, ok := jsonString(b[i:kEnd])
		if !ok {
			return nil, false, errMalformedJSON
		}
		key = []byte(k)
	}
	i = skipSpace(b, kEnd)
	if i >= len(b) || b[i] != ':' {
		return nil, false, errMalformedJSON
	}
	s.i = skipSpace(b, i+1)
	if s.i >= len(b) {
		return nil, false, errMalformedJSON
	}
	return key, true, nil
}

// value returns the raw bytes of the current value and moves past it.
func (s *objectScanner) value() ([]byte, error) {
	end := skipValue(s.b, s.i)
	if end <= s.i || end > len(s.b) {
		return nil, errMalformedJSON
	}
	v := s.b[s.i:end]
	s.i = end
	return v, nil
}

// stringField decodes the current value, a string or null, into *dst and
// records the key's state.
func (s *objectScanner) stringField(ks *keyState, k int, dst *string, field string) error {
	if s.peekNull() {
		*dst = ""
		ks.setNull(k)
		return nil
	}
	val, err := s.value()
	if err != nil {
		return err
	}
	v, err := stringValue(val, field)
	if err != nil {
		return err
	}
	*dst = v
	ks.setPresent(k)
	return nil
}

// boolField decodes the current value, a boolean or null, into *dst and
// records the key's state.
func (s *objectScanner) boolField(ks *keyState, k int, dst **bool, field string) error {
	if s.peekNull() {
		*dst = nil
		ks.setNull(k)
		return nil
	}
	val, err := s.value()
	if err != nil {
		return err
	}
	v, err := boolValue(val, field)
	if err != nil {
		return err
	}
	*dst = v
	ks.setPresent(k)
	return nil
}

// extra keeps the current value under key in *m.
func (s *objectScanner) extra(m *map[string]json.RawMessage, key []byte) error {
	val, err := s.value()
	if err != nil {
		return err
	}
	return addExtra(m, key, val)
}

// at moves the scanner to end, after a value a decoder consumed.
func (s *objectScanner) at(end int) { s.i = end }

// peekNull reports whether the current value is null, and moves past it
// if so.
func (s *objectScanner) peekNull() bool {
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// unmarshalAt runs an index-based decoder over all of b, which may hold
// nothing else than white space around the value.
func unmarshalAt(b []byte, decodeAt func(b []byte, i int) (int, error)) error {
	end, err := decodeAt(b, 0)
	if err != nil {
		return err
	}
	return trailingSpace(b, end)
}

// trailingSpace accepts only white space after a value.
func trailingSpace(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errMalformedJSON
	}
	return nil
}

// decodeArrayAt decodes the JSON array of objects (or null) at b[i] into
// *dst with dec, each element where it lies, and returns the index after
// the array. It records the key's state as ks index k. An element sent as
// null is decoded by dec too, which marks it (keySelf) so that it is
// written back as null.
func decodeArrayAt[S ~[]T, T any](ks *keyState, k int, b []byte, i int, dst *S, field string, dec func(*T, []byte, int) (int, error)) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, errMalformedJSON
	}
	if b[i] == 'n' {
		if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
			*dst = nil
			ks.setNull(k)
			return i + 4, nil
		}
		return 0, errMalformedJSON
	}
	if b[i] != '[' {
		return 0, typeError(b[i:], reflect.TypeFor[S](), field)
	}
	out := make([]T, 0, 2)
	j := skipSpace(b, i+1)
	if j < len(b) && b[j] == ']' {
		*dst = out
		ks.setPresent(k)
		return j + 1, nil
	}
	for {
		out = append(out, *new(T))
		end, err := dec(&out[len(out)-1], b, j)
		if err != nil {
			return 0, err
		}
		j = skipSpace(b, end)
		if j >= len(b) {
			return 0, errMalformedJSON
		}
		switch b[j] {
		case ']':
			*dst = out
			ks.setPresent(k)
			return j + 1, nil
		case ',':
			j = skipSpace(b, j+1)
		default:
			return 0, errMalformedJSON
		}
	}
}

// typeError is the error of a known key whose value has the wrong type,
// or errMalformedJSON when val starts no JSON value.
func typeError(val []byte, t reflect.Type, field string) error {
	kind := jsonKindName(val)
	if kind == "" {
		return errMalformedJSON
	}
	return &json.UnmarshalTypeError{Value: kind, Type: t, Field: field}
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

// keep reports whether the modelled key i (named k) is to be written: a
// set value always is, an empty one only when the decoded body carried the
// key. A key decoded as null is written as null here (keep then reports
// false: nothing more to write).
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

// finish closes the object. A value decoded from null (keySelf) that
// still has nothing to write is written as null, as it came.
func (w *objectWriter) finish() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if len(w.names) == 0 && w.state.isNull(keySelf) {
		return []byte("null"), nil
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
