package webhooks

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// The fast path of [Parse] and of the Verifier: it decodes the plain shape
// every Fractal notification has (an object with a string "type" and an
// object "data" whose fields are plain ASCII strings) in one walk over
// bytes that json.Valid accepted, with two or three allocations. For
// anything else (an escape sequence or a non-ASCII byte in a key or in a
// string it keeps, a key that matches a field only without regard to case,
// a value of the wrong JSON type, a null type, invalid JSON) it reports
// false and the caller takes the encoding/json path, which decides and
// words the error exactly as before. FuzzParseFast checks that whatever
// the fast path accepts, the encoding/json path decodes to the same Event.

// fastEvent holds an Event and its typed payload in one allocation.
type fastEvent struct {
	ev Event
	v  VerificationData
	c  CredentialSharedData
	e  EmailChangedData
	a  AuthorizationRevokedData
}

// fastKind is what the fast path does with a field of a payload.
type fastKind uint8

const (
	fastString fastKind = iota + 1
	fastTimestamp
)

// fastField names one field of a typed payload.
type fastField struct {
	name string
	kind fastKind
}

var (
	verificationFields = []fastField{{"level", fastString}, {"user_id", fastString}, {"timestamp", fastTimestamp}}
	credentialFields   = []fastField{{"idos_human_id", fastString}, {"credential_id", fastString}, {"shared_at", fastTimestamp}}
	emailFields        = []fastField{{"user_id", fastString}, {"email", fastString}}
	revokedFields      = []fastField{{"user_id", fastString}}
)

// internType returns t without allocating for the known types.
func internType(b []byte) EventType {
	switch string(b) {
	case string(EventVerificationApproved):
		return EventVerificationApproved
	case string(EventVerificationContacted):
		return EventVerificationContacted
	case string(EventVerificationRejected):
		return EventVerificationRejected
	case string(EventCredentialShared):
		return EventCredentialShared
	case string(EventEmailChanged):
		return EventEmailChanged
	case string(EventAuthorizationRevoked):
		return EventAuthorizationRevoked
	}
	return EventType(b)
}

// scanEnvelope checks that p is one valid JSON value, walks its
// top-level object and returns the "type" string and the raw "data" value
// (nil when absent).
func scanEnvelope(p []byte) (typ, data []byte, ok bool) {
	i := skipWS(p, 0)
	if i >= len(p) || p[i] != '{' {
		return nil, nil, false
	}
	i = skipWS(p, i+1)
	haveType := false
	if i < len(p) && p[i] == '}' {
		i++
	} else {
		for {
			key, j, ok := plainString(p, i)
			if !ok {
				return nil, nil, false
			}
			i = skipWS(p, j)
			if i >= len(p) || p[i] != ':' {
				return nil, nil, false
			}
			i = skipWS(p, i+1)
			switch {
			case string(key) == "type":
				s, j, ok := plainString(p, i)
				if !ok {
					return nil, nil, false
				}
				typ, haveType, i = s, true, j
			case equalFoldASCII(key, "type"), equalFoldASCII(key, "data") && string(key) != "data":
				return nil, nil, false
			default:
				j := validValue(p, i, 1)
				if j < 0 {
					return nil, nil, false
				}
				if string(key) == "data" {
					data = p[i:j]
				}
				i = j
			}
			i = skipWS(p, i)
			if i >= len(p) {
				return nil, nil, false
			}
			if p[i] == '}' {
				i++
				break
			}
			if p[i] != ',' {
				return nil, nil, false
			}
			i = skipWS(p, i+1)
		}
	}
	if skipWS(p, i) != len(p) || !haveType || len(typ) == 0 {
		return nil, nil, false
	}
	return typ, data, true
}

// maxFastDepth bounds the nesting the fast path walks; deeper documents
// take the encoding/json path.
const maxFastDepth = 256

// validValue returns the index after the JSON value at p[i] (no leading
// space), or -1 when it is not valid JSON.
func validValue(p []byte, i, depth int) int {
	if i >= len(p) {
		return -1
	}
	switch c := p[i]; {
	case c == '"':
		return validString(p, i)
	case c == '{', c == '[':
		if depth >= maxFastDepth {
			return -1
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = skipWS(p, i+1)
		if i < len(p) && p[i] == end {
			return i + 1
		}
		for {
			if c == '{' {
				if i >= len(p) || p[i] != '"' {
					return -1
				}
				if i = validString(p, i); i < 0 {
					return -1
				}
				i = skipWS(p, i)
				if i >= len(p) || p[i] != ':' {
					return -1
				}
				i = skipWS(p, i+1)
			}
			if i = validValue(p, i, depth+1); i < 0 {
				return -1
			}
			i = skipWS(p, i)
			if i >= len(p) {
				return -1
			}
			if p[i] == end {
				return i + 1
			}
			if p[i] != ',' {
				return -1
			}
			i = skipWS(p, i+1)
		}
	case c == 't':
		return validLiteral(p, i, "true")
	case c == 'f':
		return validLiteral(p, i, "false")
	case c == 'n':
		return validLiteral(p, i, "null")
	case c == '-' || ('0' <= c && c <= '9'):
		return validNumber(p, i)
	}
	return -1
}

func validLiteral(p []byte, i int, lit string) int {
	if len(p)-i < len(lit) || string(p[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// Word-at-a-time tests on 8 bytes (Hacker's Delight, "find a byte"): a
// high bit set in the result marks a byte of interest. Exact as a test
// of the whole word, which is all they are used for.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainWord reports whether none of the 8 bytes of x is '"', '\\' or a
// control character (< 0x20).
func plainWord(x uint64) bool {
	quote := x ^ (ones * '"')
	bslash := x ^ (ones * '\\')
	hit := ((quote - ones) &^ quote) | ((bslash - ones) &^ bslash) | ((x - ones*0x20) &^ x)
	return hit&highs == 0
}

// validString returns the index after the JSON string at p[i] == '"'.
func validString(p []byte, i int) int {
	for j := i + 1; j < len(p); {
		// Skip 8 plain bytes at a time; the byte loop below decides at
		// the first word that holds anything else.
		for j+8 <= len(p) && plainWord(binary.LittleEndian.Uint64(p[j:])) {
			j += 8
		}
		if j >= len(p) {
			break
		}
		switch c := p[j]; {
		case c == '"':
			return j + 1
		case c < 0x20:
			return -1
		case c == '\\':
			if j+1 >= len(p) {
				return -1
			}
			switch p[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(p) {
					return -1
				}
				for _, h := range p[j+2 : j+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return -1
					}
				}
				j += 6
			default:
				return -1
			}
		default:
			j++
		}
	}
	return -1
}

// validNumber returns the index after the JSON number at p[i].
func validNumber(p []byte, i int) int {
	if p[i] == '-' {
		i++
	}
	switch {
	case i < len(p) && p[i] == '0':
		i++
	case i < len(p) && '1' <= p[i] && p[i] <= '9':
		i = digits(p, i)
	default:
		return -1
	}
	if i < len(p) && p[i] == '.' {
		j := digits(p, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(p) && (p[i] == 'e' || p[i] == 'E') {
		i++
		if i < len(p) && (p[i] == '+' || p[i] == '-') {
			i++
		}
		j := digits(p, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(p []byte, i int) int {
	for i < len(p) && '0' <= p[i] && p[i] <= '9' {
		i++
	}
	return i
}

// scanType returns the type of a notification as the fast path reads it.
func scanType(p []byte) (EventType, bool) {
	typ, _, ok := scanEnvelope(p)
	if !ok {
		return "", false
	}
	return internType(typ), true
}

// parseFast decodes p when it has the plain shape. With alias, Event.Data
// shares p's memory (the handler's own body buffer); otherwise it is a copy.
func parseFast(p []byte, alias bool) (*Event, bool) {
	typ, data, ok := scanEnvelope(p)
	if !ok {
		return nil, false
	}
	f := new(fastEvent)
	ev := &f.ev
	ev.Type = internType(typ)
	if len(data) > 0 && string(data) != "null" {
		if alias {
			ev.Data = data[:len(data):len(data)]
		} else {
			ev.Data = slices.Clone(data)
		}
	}
	var (
		fields []fastField
		dst    [3]*string
		ts     *Timestamp
	)
	switch ev.Type {
	case EventVerificationApproved, EventVerificationContacted, EventVerificationRejected:
		ev.Verification = &f.v
		fields, dst, ts = verificationFields, [3]*string{&f.v.Level, &f.v.UserID}, &f.v.Timestamp
	case EventCredentialShared:
		ev.CredentialShared = &f.c
		fields, dst, ts = credentialFields, [3]*string{&f.c.IDOSHumanID, &f.c.CredentialID}, &f.c.SharedAt
	case EventEmailChanged:
		ev.EmailChanged = &f.e
		fields, dst = emailFields, [3]*string{&f.e.UserID, &f.e.Email}
	case EventAuthorizationRevoked:
		ev.AuthorizationRevoked = &f.a
		fields, dst = revokedFields, [3]*string{&f.a.UserID}
	default:
		return ev, true
	}
	if ev.Data == nil {
		return ev, true
	}
	if !decodeFields(ev.Data, fields, dst, ts) {
		return nil, false
	}
	return ev, true
}

// decodeFields decodes the object d (valid JSON) into the string fields
// dst[i] for fields[i] of kind fastString and ts for the fastTimestamp one.
// The strings kept share one allocation.
func decodeFields(d []byte, fields []fastField, dst [3]*string, ts *Timestamp) bool {
	if d[0] != '{' {
		return false
	}
	// Spans of the values of the string fields (last occurrence wins, as
	// in encoding/json); -1 when absent or null.
	var spans [3][2]int
	for k := range spans {
		spans[k] = [2]int{-1, -1}
	}
	i := skipWS(d, 1)
	for i < len(d) && d[i] != '}' {
		key, j, ok := plainString(d, i)
		if !ok {
			return false
		}
		i = skipWS(d, skipWS(d, j)+1)
		idx := -1
		for k, f := range fields {
			if string(key) == f.name {
				idx = k
				break
			}
			if equalFoldASCII(key, f.name) {
				return false
			}
		}
		j = skipValue(d, i)
		switch {
		case idx < 0:
		case fields[idx].kind == fastString:
			if d[i] == 'n' { // null leaves the field as it is
				break
			}
			if d[i] != '"' {
				return false
			}
			if _, _, ok := plainString(d, i); !ok {
				return false
			}
			spans[idx] = [2]int{i + 1, j - 1}
		case fields[idx].kind == fastTimestamp:
			if d[i] == '"' {
				if _, _, ok := plainString(d, i); ok {
					spans[idx] = [2]int{i + 1, j - 1}
					break
				}
			}
			spans[idx] = [2]int{-1, -1}
			if ts.UnmarshalJSON(d[i:j]) != nil {
				return false
			}
		}
		i = skipWS(d, j)
		if i < len(d) && d[i] == ',' {
			i = skipWS(d, i+1)
		}
	}
	lo, hi := len(d), 0
	for _, s := range spans {
		if s[0] >= 0 {
			lo, hi = min(lo, s[0]), max(hi, s[1])
		}
	}
	if lo >= hi {
		// Nothing to copy; the empty strings need no allocation.
		for k, f := range fields {
			if spans[k][0] >= 0 {
				if f.kind == fastTimestamp {
					*ts = ParseTimestamp("")
				} else {
					*dst[k] = ""
				}
			}
		}
		return true
	}
	all := string(d[lo:hi])
	for k, f := range fields {
		s := spans[k]
		if s[0] < 0 {
			continue
		}
		v := all[s[0]-lo : s[1]-lo]
		if f.kind == fastTimestamp {
			*ts = ParseTimestamp(v)
		} else {
			*dst[k] = v
		}
	}
	return true
}

func skipWS(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// plainString returns the contents of the string starting at p[i] when it
// has no escape and only printable ASCII, and the index after it.
func plainString(p []byte, i int) ([]byte, int, bool) {
	if i >= len(p) || p[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(p); j++ {
		switch c := p[j]; {
		case c == '"':
			return p[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, i, false
		}
	}
	return nil, i, false
}

// skipValue returns the index after the value starting at p[i] of a valid
// JSON document.
func skipValue(p []byte, i int) int {
	depth := 0
	for i < len(p) {
		switch p[i] {
		case '"':
			i = skipString(p, i)
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			i++
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
			i++
		default:
			i++
		}
		if depth == 0 && i > 0 && (p[i-1] == '"' || p[i-1] == '}' || p[i-1] == ']') {
			return i
		}
	}
	return i
}

// skipString returns the index after the string at p[i] == '"' of a
// valid JSON document.
func skipString(p []byte, i int) int {
	i++
	for {
		q := bytes.IndexByte(p[i:], '"')
		if q < 0 {
			return len(p)
		}
		i += q
		// The quote ends the string unless an odd number of backslashes
		// precede it.
		n := 0
		for k := i - 1; k >= 0 && p[k] == '\\'; k-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// equalFoldASCII reports whether b equals the lower-case ASCII s without
// regard to case.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
