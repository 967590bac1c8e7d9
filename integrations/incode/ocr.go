package incode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycgo/kyc/option"
)

// IDType is the typeOfId of OCR data. It is an open type.
type IDType string

// Types of ID (a selection of the values Incode lists).
const (
	IDTypeUnknown             IDType = "Unknown"
	IDTypePassport            IDType = "Passport"
	IDTypeVisa                IDType = "Visa"
	IDTypeDriversLicense      IDType = "DriversLicense"
	IDTypeIdentificationCard  IDType = "IdentificationCard"
	IDTypePermit              IDType = "Permit"
	IDTypeResidenceDocument   IDType = "ResidenceDocument"
	IDTypeTravelDocument      IDType = "TravelDocument"
	IDTypeVoterIdentification IDType = "VoterIdentification"
	IDTypeOther               IDType = "Other"
)

// Date is a calendar date without a time zone (a birth date).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// DateFromMillis returns the UTC calendar date of an epoch-millisecond
// instant (negative for dates before 1970).
func DateFromMillis(ms int64) Date {
	y, m, d := time.UnixMilli(ms).UTC().Date()
	return Date{Year: y, Month: m, Day: d}
}

// OCRName is the "name" of OCR data.
type OCRName struct {
	FullName, FirstName, GivenName, MiddleName string
	PaternalLastName, MaternalLastName         string
	NameSuffix                                 string
	// MachineReadableFullName is the full name from the barcode or MRZ.
	MachineReadableFullName   string
	GivenNameMRZ, LastNameMRZ string
}

// OCRAddress is the "addressFields" of OCR data.
type OCRAddress struct {
	Street string
	// Colony is a neighbourhood (not in every country).
	Colony     string
	PostalCode string
	City       string
	State      string
}

// OCRData is the data Incode read from the ID (GET /omni/get/ocr-data).
// The reply is dynamic (it holds what the detected document carries), so
// every field may be empty; Raw keeps the whole reply, including the
// fields not modelled here.
//
// It is personal data: String, GoString, Format (every verb) and LogValue
// print the type of ID and the issuing country only.
type OCRData struct {
	Name OCRName
	// Address is the address as read, lines separated by "\n".
	Address       string
	AddressFields OCRAddress
	// CheckedAddress is the normalised address, when Incode checked it.
	CheckedAddress string
	// BirthDate is the date of birth (sent as epoch milliseconds, negative
	// before 1970).
	BirthDate Date
	// Gender is "M" or "F" as printed.
	Gender         string
	DocumentNumber string
	PersonalNumber string
	TaxIDNumber    string
	TypeOfID       IDType
	// IssuingCountry is an ISO 3166 alpha-3 code ("USA").
	IssuingCountry string
	// IssuingState is free text ("CALIFORNIA").
	IssuingState string
	Nationality  string
	// ExpireAt and IssuedAt are the instants sent as epoch milliseconds
	// (in strings or numbers); zero when absent.
	ExpireAt, IssuedAt time.Time
	// ExpirationYear and IssueYear are "expirationDate" and "issueDate",
	// which Incode sends as a year only (0 when absent).
	ExpirationYear, IssueYear int
	// Raw is the reply as received.
	Raw json.RawMessage
}

// String prints the type of ID and the issuing country only.
func (o OCRData) String() string {
	return "incode.OCRData{TypeOfID: " + string(o.TypeOfID) + ", IssuingCountry: " + o.IssuingCountry + "}"
}

// GoString is String.
func (o OCRData) GoString() string { return o.String() }

// Format prints String for every verb.
func (o OCRData) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(o.String())) }

// LogValue logs the type of ID and the issuing country only.
func (o OCRData) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type_of_id", string(o.TypeOfID)), slog.String("issuing_country", o.IssuingCountry))
}

// String prints nothing of the name.
func (n OCRName) String() string { return "incode.OCRName{[personal data]}" }

// GoString is String.
func (n OCRName) GoString() string { return n.String() }

// Format prints String for every verb.
func (n OCRName) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(n.String())) }

// LogValue logs nothing of the name.
func (n OCRName) LogValue() slog.Value { return slog.StringValue("[personal data]") }

// String prints nothing of the address.
func (a OCRAddress) String() string { return "incode.OCRAddress{[personal data]}" }

// GoString is String.
func (a OCRAddress) GoString() string { return a.String() }

// Format prints String for every verb.
func (a OCRAddress) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(a.String())) }

// LogValue logs nothing of the address.
func (a OCRAddress) LogValue() slog.Value { return slog.StringValue("[personal data]") }

// ParseOCRData decodes an OCR reply, the plain object or the v2 form
// wrapped in {"ocrData": {...}}. It fails only when body is not a JSON
// object; members of an unexpected type are left empty (Raw keeps them).
func ParseOCRData(body []byte) (*OCRData, error) {
	m, err := object(body)
	if err != nil {
		return nil, err
	}
	if inner, ok := sub(m, "ocrData"); ok && len(m) == 1 {
		m = inner
	}
	o := &OCRData{Raw: json.RawMessage(bytes.Clone(body))}
	s := func(p map[string]json.RawMessage, key string) string { return clip(lenientString(p[key])) }
	if n, ok := sub(m, "name"); ok {
		o.Name = OCRName{
			FullName: s(n, "fullName"), FirstName: s(n, "firstName"), GivenName: s(n, "givenName"),
			MiddleName: s(n, "middleName"), PaternalLastName: s(n, "paternalLastName"),
			MaternalLastName: s(n, "maternalLastName"), NameSuffix: s(n, "nameSuffix"),
			MachineReadableFullName: s(n, "machineReadableFullName"),
			GivenNameMRZ:            s(n, "givenNameMrz"), LastNameMRZ: s(n, "lastNameMrz"),
		}
	}
	o.Address = s(m, "address")
	if a, ok := sub(m, "addressFields"); ok {
		o.AddressFields = OCRAddress{Street: s(a, "street"), Colony: s(a, "colony"), PostalCode: s(a, "postalCode"),
			City: s(a, "city"), State: s(a, "state")}
	}
	o.CheckedAddress = s(m, "checkedAddress")
	if ms, ok := millis(m["birthDate"]); ok {
		o.BirthDate = DateFromMillis(ms)
	}
	o.Gender = s(m, "gender")
	o.DocumentNumber = s(m, "documentNumber")
	o.PersonalNumber = s(m, "personalNumber")
	o.TaxIDNumber = s(m, "taxIdNumber")
	o.TypeOfID = IDType(s(m, "typeOfId"))
	o.IssuingCountry = s(m, "issuingCountry")
	o.IssuingState = s(m, "issuingState")
	o.Nationality = s(m, "nationality")
	if ms, ok := millis(m["expireAt"]); ok {
		o.ExpireAt = time.UnixMilli(ms).UTC()
	}
	if ms, ok := millis(m["issuedAt"]); ok {
		o.IssuedAt = time.UnixMilli(ms).UTC()
	}
	o.ExpirationYear = year(m["expirationDate"])
	o.IssueYear = year(m["issueDate"])
	return o, nil
}

// maxMillis keeps epoch milliseconds within ±100,000 years of 1970, where
// time.UnixMilli and Date are exact.
const maxMillis = 100_000 * 366 * 24 * 3600 * 1000

// millis reads epoch milliseconds from a JSON integer or a string holding
// one (an integral float such as 529873860000.0 too).
func millis(raw json.RawMessage) (int64, bool) {
	v := strings.TrimSpace(lenientString(raw))
	if v == "" {
		return 0, false
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > maxMillis {
			return 0, false
		}
		ms = int64(f)
	}
	if ms > maxMillis || ms < -maxMillis {
		return 0, false
	}
	return ms, true
}

// year reads a year (1 to 9999) from a JSON integer or numeric string.
func year(raw json.RawMessage) int {
	n, err := strconv.Atoi(strings.TrimSpace(lenientString(raw)))
	if err != nil || n < 1 || n > 9999 {
		return 0
	}
	return n
}

// OCRData returns the data Incode read from the session's ID: with its
// session token or by interview id with the executive token (both on
// GET /omni/get/ocr-data with the API key; "id" is sent when known). The
// result is personal data: keep it out of logs (its printed forms hold
// none of it).
func (c *Client) OCRData(ctx context.Context, t Target, opts ...option.CallOption) (*OCRData, error) {
	var raw json.RawMessage
	rt := route{method: http.MethodGet, path: OCRDataPath, idParam: "id", op: "OCRData"}
	resp, err := c.call(ctx, rt, t, nil, nil, &raw, opts)
	if err != nil {
		return nil, err
	}
	o, err := ParseOCRData(raw)
	if err != nil {
		return nil, decodeFailure(http.MethodGet, OCRDataPath, resp, err)
	}
	return o, nil
}
