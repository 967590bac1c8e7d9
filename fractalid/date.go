package fractalid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kycgo/kyc"
)

// Date is a civil date (YYYY-MM-DD) with no time zone, as Fractal sends
// birth dates and document dates. The zero Date means "not set".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	d, ok := parseDateStrict([]byte(s))
	if !ok {
		return Date{}, fmt.Errorf("fractalid: %w: not a YYYY-MM-DD date", kyc.ErrInvalidArgument)
	}
	return d, nil
}

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

func parseDateStrict(b []byte) (Date, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return Date{}, false
	}
	y, ok1 := atoiN(b[0:4])
	m, ok2 := atoiN(b[5:7])
	d, ok3 := atoiN(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return Date{}, false
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, true
}

// parseDateLenient accepts YYYY-MM-DD, a date-time that starts with one
// (YYYY-MM-DDT... or YYYY-MM-DD hh:mm...), and "" (the zero Date).
func parseDateLenient(b []byte) (Date, bool) {
	if len(b) == 0 {
		return Date{}, true
	}
	if len(b) > 10 && (b[10] == 'T' || b[10] == 't' || b[10] == ' ') {
		b = b[:10]
	}
	return parseDateStrict(b)
}

func atoiN(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// dateFromJSON reads a JSON date value leniently: null, "" and non-dates
// give ok=false except null and "" which give the zero Date and ok=true.
func dateFromJSON(v []byte) (Date, bool) {
	if len(v) == 0 {
		return Date{}, false
	}
	if v[0] == 'n' {
		return Date{}, true
	}
	if v[0] != '"' || len(v) < 2 {
		return Date{}, false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return Date{}, false
		}
		inner = []byte(s)
	}
	return parseDateLenient(inner)
}

// String formats the date as YYYY-MM-DD ("" for the zero Date).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// IsValid reports whether d is a real calendar date.
func (d Date) IsValid() bool {
	return d.Year >= 0 && d.Year <= 9999 && d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= daysIn(d.Month, d.Year)
}

// In returns midnight of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MarshalText formats the date as YYYY-MM-DD (empty for the zero Date).
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if !d.IsValid() {
		return nil, errors.New("fractalid: invalid Date")
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses YYYY-MM-DD strictly (empty gives the zero Date).
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, ok := parseDateStrict(b)
	if !ok {
		return fmt.Errorf("fractalid: %w: not a YYYY-MM-DD date", kyc.ErrInvalidArgument)
	}
	*d = v
	return nil
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	if !d.IsValid() {
		return nil, errors.New("fractalid: invalid Date")
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON is lenient: it accepts "YYYY-MM-DD" and date-times that
// start with a date; null, "" and anything it cannot read leave the zero
// Date without an error (Details keeps such raw values in Extra).
func (d *Date) UnmarshalJSON(b []byte) error {
	v, _ := dateFromJSON(b)
	*d = v
	return nil
}
