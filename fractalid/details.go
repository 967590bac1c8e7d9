package fractalid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Details is the data a user submitted for a level or add-on: every key
// documented in section "details keys" of Fractal's user-information
// page, typed. All fields are optional; the keys present depend on the
// level, the add-ons and the .details scopes granted.
//
// Keys this package does not know, and known keys whose value has an
// unexpected type (for example a date that does not parse), are kept as
// raw JSON in Extra instead of failing the decode. MarshalJSON writes them
// back.
//
// File fields hold pre-signed URLs that expire a few hours after the
// request: download them promptly (Client.DownloadFile), never store them.
//
// Details holds personal data: String, GoString, Format and LogValue
// print counts only.
type Details struct {
	// Identification (plus and basic; the selfie add-on for the document and selfie files).
	DateOfBirth                        Date         `json:"date_of_birth,omitzero"`
	FullName                           string       `json:"full_name,omitempty"`
	IdentificationDocumentBackFile     FileURL      `json:"identification_document_back_file,omitempty"`
	IdentificationDocumentCountry      string       `json:"identification_document_country,omitempty"`
	IdentificationDocumentFrontFile    FileURL      `json:"identification_document_front_file,omitempty"`
	IdentificationDocumentNumber       string       `json:"identification_document_number,omitempty"`
	IdentificationDocumentType         DocumentType `json:"identification_document_type,omitempty"`
	PlaceOfBirth                       string       `json:"place_of_birth,omitempty"`
	IdentificationDocumentSelfieFile   FileURL      `json:"identification_document_selfie_file,omitempty"`
	IdentificationDocumentDateOfIssue  Date         `json:"identification_document_date_of_issue,omitzero"`
	IdentificationDocumentDateOfExpiry Date         `json:"identification_document_date_of_expiry,omitzero"`

	// Liveness add-on.
	Liveness                      *bool   `json:"liveness,omitempty"`
	LivenessAuditBestFile         FileURL `json:"liveness_audit_best_file,omitempty"`
	LivenessAuditLeastSimilarFile FileURL `json:"liveness_audit_least_similar_file,omitempty"`
	LivenessAuditOpenEyesFile     FileURL `json:"liveness_audit_open_eyes_file,omitempty"`
	LivenessAuditQuality1File     FileURL `json:"liveness_audit_quality1_file,omitempty"`
	LivenessAuditQuality2File     FileURL `json:"liveness_audit_quality2_file,omitempty"`
	LivenessAuditQuality3File     FileURL `json:"liveness_audit_quality3_file,omitempty"`

	// Institution only (plus).
	ArticlesOfAssociationFile        FileURL `json:"articles_of_association_file,omitempty"`
	BeneficialOwner                  string  `json:"beneficial_owner,omitempty"`
	CertificateOfCorporateStatusFile FileURL `json:"certificate_of_corporate_status_file,omitempty"`
	CertificateOfGoodStandingFile    FileURL `json:"certificate_of_good_standing_file,omitempty"`
	CertificateOfIncorporationFile   FileURL `json:"certificate_of_incorporation_file,omitempty"`
	CommercialRegisterEntryFile      FileURL `json:"commercial_register_entry_file,omitempty"`
	CommercialRegister               string  `json:"commercial_register,omitempty"`
	CompanyName                      string  `json:"company_name,omitempty"`
	CompanySeat                      string  `json:"company_seat,omitempty"`
	Jurisdiction                     string  `json:"jurisdiction,omitempty"`
	LegalForm                        string  `json:"legal_form,omitempty"`
	ManagingDirectors                string  `json:"managing_directors,omitempty"`
	OwnerIdentityProofFile           FileURL `json:"owner_identity_proof_file,omitempty"`
	PowerOfAttorneyFile              FileURL `json:"power_of_attorney_file,omitempty"`
	SecretaryCertificateFile         FileURL `json:"secretary_certificate_file,omitempty"`
	ShareholdersListFile             FileURL `json:"shareholders_list_file,omitempty"`
	TransparencyRegisterEntryFile    FileURL `json:"transparency_register_entry_file,omitempty"`
	UniqueIdentificationNumber       string  `json:"unique_identification_number,omitempty"`

	// Residency (plus). The Line1, Line2, City and Zip keys are required only
	// for applications with split addresses enabled.
	ResidentialAddressCountry           string  `json:"residential_address_country,omitempty"`
	ResidentialAddressProofFile         FileURL `json:"residential_address_proof_file,omitempty"`
	ResidentialAddress                  string  `json:"residential_address,omitempty"`
	ResidentialAddressLine1             string  `json:"residential_address_line1,omitempty"`
	ResidentialAddressLine2             string  `json:"residential_address_line2,omitempty"`
	ResidentialAddressCity              string  `json:"residential_address_city,omitempty"`
	ResidentialAddressZip               string  `json:"residential_address_zip,omitempty"`
	ResidentialAddressProofDateOfExpiry Date    `json:"residential_address_proof_date_of_expiry,omitzero"`

	// Source of wealth, any user (sow).
	SOWEstimatedNetWorthCurrency SOWCurrency   `json:"sow_estimated_net_worth_currency,omitempty"`
	SOWEstimatedNetWorthValue    NumericString `json:"sow_estimated_net_worth_value,omitempty"`

	// Source of wealth, institution only (sow).
	SOWBalanceSheetFile                    FileURL `json:"sow_balance_sheet_file,omitempty"`
	SOWCashFlowStatementFile               FileURL `json:"sow_cash_flow_statement_file,omitempty"`
	SOWIncomeStatementFile                 FileURL `json:"sow_income_statement_file,omitempty"`
	SOWUnauditedAccountantName             string  `json:"sow_unaudited_accountant_name,omitempty"`
	SOWUnauditedAccountantProfessionalBody string  `json:"sow_unaudited_accountant_professional_body,omitempty"`

	// Source of wealth, person only (sow).
	SOWType                                SOWType `json:"sow_type,omitempty"`
	SOWCryptoBankStatementFile             FileURL `json:"sow_crypto_bank_statement_file,omitempty"`
	SOWCryptoSourceOfInitialInvestmentFile FileURL `json:"sow_crypto_source_of_initial_investment_file,omitempty"`
	SOWCryptoTransactionsLast3MonthsFile   FileURL `json:"sow_crypto_transactions_last_3_months_file,omitempty"`
	SOWDividendsBankStatementFile          FileURL `json:"sow_dividends_bank_statement_file,omitempty"`
	SOWDividendsEntitlementFile            FileURL `json:"sow_dividends_entitlement_file,omitempty"`
	SOWDivorceSettlementBankStatementFile  FileURL `json:"sow_divorce_settlement_bank_statement_file,omitempty"`
	SOWDivorceSettlementProofFile          FileURL `json:"sow_divorce_settlement_proof_file,omitempty"`
	SOWFreelanceBankStatementFile          FileURL `json:"sow_freelance_bank_statement_file,omitempty"`
	SOWFreelanceLastYearTaxReturnsFile     FileURL `json:"sow_freelance_last_year_tax_returns_file,omitempty"`
	SOWFreelanceServiceContractsFile       FileURL `json:"sow_freelance_service_contracts_file,omitempty"`
	SOWGiftsBankStatementFile              FileURL `json:"sow_gifts_bank_statement_file,omitempty"`
	SOWGiftsNameOfDonator                  string  `json:"sow_gifts_name_of_donator,omitempty"`
	SOWGiftsReasonForDonation              string  `json:"sow_gifts_reason_for_donation,omitempty"`
	SOWGiftsRelationshipWithDonator        string  `json:"sow_gifts_relationship_with_donator,omitempty"`
	SOWInheritanceBankStatementFile        FileURL `json:"sow_inheritance_bank_statement_file,omitempty"`
	SOWInheritanceProofFile                FileURL `json:"sow_inheritance_proof_file,omitempty"`
	SOWLeaseRevenueAgreementFile           FileURL `json:"sow_lease_revenue_agreement_file,omitempty"`
	SOWLeaseRevenueBankStatementFile       FileURL `json:"sow_lease_revenue_bank_statement_file,omitempty"`
	SOWLifePolicyBankStatementFile         FileURL `json:"sow_life_policy_bank_statement_file,omitempty"`
	SOWLifePolicyClosingStatementFile      FileURL `json:"sow_life_policy_closing_statement_file,omitempty"`
	SOWPensionBankStatementFile            FileURL `json:"sow_pension_bank_statement_file,omitempty"`
	SOWPensionStatementFile                FileURL `json:"sow_pension_statement_file,omitempty"`
	SOWSalaryBankStatementFile             FileURL `json:"sow_salary_bank_statement_file,omitempty"`
	SOWSalaryLastYearTaxReturnsFile        FileURL `json:"sow_salary_last_year_tax_returns_file,omitempty"`
	SOWSalaryPaySlipsLast3MonthsFile       FileURL `json:"sow_salary_pay_slips_last_3_months_file,omitempty"`
	SOWSaleOfCompanyBankStatementFile      FileURL `json:"sow_sale_of_company_bank_statement_file,omitempty"`
	SOWSaleOfCompanyContractFile           FileURL `json:"sow_sale_of_company_contract_file,omitempty"`
	SOWSaleOfPropertyBankStatementFile     FileURL `json:"sow_sale_of_property_bank_statement_file,omitempty"`
	SOWSaleOfPropertyContractFile          FileURL `json:"sow_sale_of_property_contract_file,omitempty"`
	SOWSaleOfSharesBankStatementFile       FileURL `json:"sow_sale_of_shares_bank_statement_file,omitempty"`
	SOWSaleOfSharesProofFile               FileURL `json:"sow_sale_of_shares_proof_file,omitempty"`

	// Social security number (ssn add-on, US residents only).
	SocialSecurityNumber string `json:"social_security_number,omitempty"`

	// Deprecated keys still found in old data: the wallet keys (documented
	// until 2024-03; wallets now come from User.Wallets) and the v1-era
	// accredited investor keys.
	WalletAddress               string            `json:"wallet_address,omitempty"`
	WalletCurrency              string            `json:"wallet_currency,omitempty"`
	WalletCheckReports          []json.RawMessage `json:"wallet_check_reports,omitempty"`
	AccreditedInvestor          *bool             `json:"accredited_investor,omitempty"`
	AccreditedInvestorProofFile FileURL           `json:"accredited_investor_proof_file,omitempty"`

	// Extra holds the keys not decoded into a field above, as raw JSON.
	Extra map[string]json.RawMessage `json:"-"`

	keys keyState // typed keys the decoded body carried (empty or null included)
	// orig holds the value as sent of typed keys whose decoding normalised
	// it (a number into NumericString, a date-time into Date), so that
	// MarshalJSON writes it back unchanged while the field is unchanged.
	orig map[string]json.RawMessage
}

// DocumentType is the type of an identification document. Unknown values are kept.
type DocumentType string

// Identification document types.
const (
	DocumentNationalID     DocumentType = "national_id"
	DocumentPassport       DocumentType = "passport"
	DocumentDriversLicense DocumentType = "drivers_license"
)

// SOWCurrency is the currency of an estimated net worth. Unknown values are kept.
type SOWCurrency string

// Net worth currencies.
const (
	SOWCurrencyEUR SOWCurrency = "EUR"
	SOWCurrencyUSD SOWCurrency = "USD"
)

// SOWType is a person's source of wealth. Unknown values are kept.
type SOWType string

// Sources of wealth.
const (
	SOWCrypto            SOWType = "crypto"
	SOWDividends         SOWType = "dividends"
	SOWDivorceSettlement SOWType = "divorce_settlement"
	SOWFreelance         SOWType = "freelance"
	SOWGifts             SOWType = "gifts"
	SOWInheritance       SOWType = "inheritance"
	SOWLeaseRevenue      SOWType = "lease_revenue"
	SOWLifePolicy        SOWType = "life_policy"
	SOWPension           SOWType = "pension"
	SOWSalary            SOWType = "salary"
	SOWSaleOfCompany     SOWType = "sale_of_company"
	SOWSaleOfProperty    SOWType = "sale_of_property"
	SOWSaleOfShares      SOWType = "sale_of_shares"
)

// FileURL is a pre-signed URL of an uploaded file. It expires a few hours
// after the request that returned it; download it with Client.DownloadFile.
type FileURL string

// NumericString is a number carried as a string (for example
// "250000.50"). It also accepts a bare JSON number, kept as written.
type NumericString string

// UnmarshalJSON accepts a JSON string or number. Other values leave it
// empty (Details then keeps the raw value in Extra).
func (n *NumericString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = NumericString(s)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*n = NumericString(b)
	default:
		*n = ""
	}
	return nil
}

// valueKind is the JSON kind a typed details field takes.
type valueKind uint8

const (
	kindString    valueKind = iota // string and named string types
	kindNumString                  // NumericString: a string or a number
	kindDate                       // Date: a YYYY-MM-DD string
	kindBool                       // *bool
	kindRaw                        // []json.RawMessage: an array
)

// fieldInfo locates a typed details key in Details.
type fieldInfo struct {
	index int
	kind  valueKind
}

// detailsFieldIndex maps each typed key to its field in Details. It is
// computed once from the struct tags.
var detailsFieldIndex = sync.OnceValue(func() map[string]fieldInfo {
	out := map[string]fieldInfo{}
	t := reflect.TypeFor[Details]()
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if key == "" || key == "-" {
			continue
		}
		if i >= keySelf {
			panic("fractalid: too many Details fields for keyState")
		}
		fi := fieldInfo{index: i}
		switch {
		case f.Type == reflect.TypeFor[NumericString]():
			fi.kind = kindNumString
		case f.Type == reflect.TypeFor[Date]():
			fi.kind = kindDate
		case f.Type == reflect.TypeFor[*bool]():
			fi.kind = kindBool
		case f.Type == reflect.TypeFor[[]json.RawMessage]():
			fi.kind = kindRaw
		case f.Type.Kind() == reflect.String:
			fi.kind = kindString
		default:
			panic("fractalid: unsupported Details field type " + f.Type.String())
		}
		out[key] = fi
	}
	return out
})

// detailsFields is Details without methods, for encoding/json.
type detailsFields Details

var errMalformedDetails = errors.New("fractalid: details: malformed JSON object")

// UnmarshalJSON decodes the typed keys in one pass over b and keeps every
// other key, and any typed key whose value has an unexpected type (a date
// that does not parse, a string where a boolean belongs), as raw JSON in
// Extra. Keys are matched exactly (case-sensitively). Only a value that
// is not a JSON object (or null) is an error.
func (d *Details) UnmarshalJSON(b []byte) error {
	end, err := d.decodeAt(b, 0)
	if err != nil {
		return err
	}
	return trailing(b, end)
}

// decodeAt decodes the details object (or null) at b[i], in place, and
// returns the index after it.
func (d *Details) decodeAt(b []byte, i int) (int, error) {
	*d = Details{}
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, errMalformedDetails
	}
	switch b[i] {
	case '{':
	case 'n':
		if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
			return i + 4, nil
		}
		return 0, errMalformedDetails
	default:
		kind := jsonKindName(b[i:])
		if kind == "" {
			return 0, errMalformedDetails
		}
		return 0, &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeFor[Details](), Field: "details"}
	}
	v := reflect.ValueOf(d).Elem()
	index := detailsFieldIndex()
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, errMalformedDetails
		}
		kEnd := skipString(b, i)
		if kEnd > len(b) {
			return 0, errMalformedDetails
		}
		rawKey := b[i+1 : kEnd-1]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return 0, errMalformedDetails
		}
		vStart := skipSpace(b, i+1)
		vEnd := skipValue(b, vStart)
		if vEnd <= vStart || vEnd > len(b) {
			return 0, errMalformedDetails
		}
		val := b[vStart:vEnd]
		key := "" // set only when the key has escapes or goes to Extra
		var fi fieldInfo
		var known bool
		if bytes.IndexByte(rawKey, '\\') < 0 {
			fi, known = index[string(rawKey)]
		} else {
			s, ok := jsonString(b[kEnd-len(rawKey)-2 : kEnd])
			if !ok {
				return 0, errMalformedDetails
			}
			key = s
			fi, known = index[key]
		}
		if known && setField(v.Field(fi.index), fi.kind, val) {
			if val[0] == 'n' {
				d.keys.setNull(fi.index)
			} else {
				d.keys.setPresent(fi.index)
				if normalised(fi.kind, val) {
					if key == "" {
						key = string(rawKey)
					}
					if d.orig == nil {
						d.orig = make(map[string]json.RawMessage, 1)
					}
					d.orig[key] = json.RawMessage(bytes.Clone(val))
				}
			}
		} else {
			if known {
				v.Field(fi.index).SetZero()
			}
			if !json.Valid(val) {
				return 0, errMalformedDetails
			}
			if key == "" {
				key = string(rawKey)
			}
			if d.Extra == nil {
				d.Extra = make(map[string]json.RawMessage)
			}
			d.Extra[key] = json.RawMessage(bytes.Clone(val))
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) {
			return 0, errMalformedDetails
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return 0, errMalformedDetails
		}
		i = skipSpace(b, i+1)
	}
}

// normalised reports whether decoding val into a field of kind changes
// how it is written back: a number in a NumericString, a date that is not
// a plain YYYY-MM-DD string.
func normalised(kind valueKind, val []byte) bool {
	switch kind {
	case kindNumString:
		return val[0] != '"'
	case kindDate:
		_, ok := parseDateStrict(val[1 : len(val)-1])
		return !ok && len(val) > 2
	}
	return false
}

// trailing accepts only white space after the object.
func trailing(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errMalformedDetails
	}
	return nil
}

// setField stores val in f when val has the kind f takes; null leaves f
// zero. It reports false when val does not fit.
func setField(f reflect.Value, kind valueKind, val []byte) bool {
	if val[0] == 'n' {
		return string(val) == "null"
	}
	switch kind {
	case kindString:
		s, ok := fastString(val)
		if ok {
			f.SetString(s)
		}
		return ok
	case kindNumString:
		if val[0] == '"' {
			s, ok := fastString(val)
			if ok {
				f.SetString(s)
			}
			return ok
		}
		if (val[0] == '-' || (val[0] >= '0' && val[0] <= '9')) && json.Valid(val) {
			f.SetString(string(val))
			return true
		}
		return false
	case kindDate:
		if val[0] != '"' {
			return false
		}
		dt, ok := dateFromJSON(val)
		if ok {
			*f.Addr().Interface().(*Date) = dt
		}
		return ok
	case kindBool:
		var bv bool
		switch string(val) {
		case "true":
			bv = true
		case "false":
		default:
			return false
		}
		*f.Addr().Interface().(**bool) = &bv
		return true
	case kindRaw:
		if val[0] != '[' {
			return false
		}
		return json.Unmarshal(val, f.Addr().Interface().(*[]json.RawMessage)) == nil
	}
	return false
}

// fastString decodes a JSON string value. Strings without escapes,
// control characters or invalid UTF-8 are converted directly.
func fastString(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return "", false
	}
	inner := val[1 : len(val)-1]
	for _, c := range inner {
		if c < 0x20 || c == '\\' || c == '"' {
			return jsonString(val)
		}
	}
	if !utf8.Valid(inner) {
		return jsonString(val)
	}
	return string(inner), true
}

// jsonKindName names the kind of the JSON value b starts with, in
// encoding/json's words for json.UnmarshalTypeError's Value: "object",
// "array", "string", "bool", "number" or "null". It is "" when b starts no
// JSON value (a malformed body, not a value of the wrong type).
func jsonKindName(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	switch c := b[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't', c == 'f':
		return "bool"
	case c == 'n':
		return "null"
	case c == '-', c >= '0' && c <= '9':
		return "number"
	}
	return ""
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"',
// or len(b)+1 when it is not terminated.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b) + 1
}

// skipValue returns the index after the JSON value starting at b[i], or
// len(b)+1 when it is not terminated. It finds the end of a value only;
// validity is checked by the callers where it matters.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b) + 1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
		j++
	}
	return j
}

// MarshalJSON writes the typed keys and the Extra keys (a typed value wins
// over an Extra value with the same key). A typed key the decoded body
// carried with an empty value ("", []) or null is written back as it came.
func (d Details) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal((*detailsFields)(&d))
	if err != nil || (len(d.Extra) == 0 && d.keys == keyState{}) {
		return b, err
	}
	if len(d.orig) > 0 {
		return d.marshalWithOriginals(b)
	}
	// Append the other keys after the typed ones: the typed keys keep
	// their order, the others follow in key order.
	more := make(map[string]json.RawMessage, len(d.Extra)+4)
	v := reflect.ValueOf(&d).Elem()
	written := make(map[string]bool, 16)
	for key, fi := range detailsFieldIndex() {
		f := v.Field(fi.index)
		if !omitted(f, fi.kind) {
			written[key] = true
			continue
		}
		switch {
		case d.keys.isNull(fi.index):
			more[key] = json.RawMessage("null")
		case d.keys.isPresent(fi.index) && fi.kind == kindRaw:
			more[key] = json.RawMessage("[]")
		case d.keys.isPresent(fi.index):
			more[key] = json.RawMessage(`""`)
		}
	}
	for k, val := range d.Extra {
		if _, ok := more[k]; !ok && !written[k] && json.Valid(val) {
			more[k] = val
		}
	}
	if len(more) == 0 {
		return b, nil
	}
	keys := slices.Sorted(maps.Keys(more))
	out := b[:len(b)-1] // drop '}'
	for _, k := range keys {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = appendJSONString(out, k)
		out = append(out, ':')
		out = append(out, bytes.TrimSpace(more[k])...)
	}
	return append(out, '}'), nil
}

// marshalWithOriginals is MarshalJSON for details holding normalised
// values: each is written as sent while its field still holds what was
// decoded from it. The keys come out in key order.
func (d *Details) marshalWithOriginals(typed []byte) ([]byte, error) {
	m := make(map[string]json.RawMessage, len(d.Extra)+16)
	if err := json.Unmarshal(typed, &m); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(d).Elem()
	index := detailsFieldIndex()
	for key, fi := range index {
		if _, ok := m[key]; ok {
			continue
		}
		switch {
		case d.keys.isNull(fi.index):
			m[key] = json.RawMessage("null")
		case d.keys.isPresent(fi.index) && fi.kind == kindRaw:
			m[key] = json.RawMessage("[]")
		case d.keys.isPresent(fi.index):
			m[key] = json.RawMessage(`""`)
		}
	}
	for key, raw := range d.orig {
		fi, ok := index[key]
		if !ok {
			continue
		}
		f := v.Field(fi.index)
		tmp := reflect.New(f.Type()).Elem()
		if setField(tmp, fi.kind, raw) && tmp.Interface() == f.Interface() {
			m[key] = raw
		}
	}
	for k, val := range d.Extra {
		if _, ok := m[k]; !ok && json.Valid(val) {
			m[k] = val
		}
	}
	return json.Marshal(m)
}

// omitted reports whether encoding/json leaves the typed field f out
// (omitempty or omitzero).
func omitted(f reflect.Value, kind valueKind) bool {
	switch kind {
	case kindBool:
		return f.IsNil()
	case kindRaw:
		return f.Len() == 0
	case kindDate:
		return f.IsZero()
	}
	return f.Len() == 0
}

// fileField is a FileURL field of Details and its key.
type fileField struct {
	key   string
	index int
}

var detailsFileFields = sync.OnceValue(func() []fileField {
	var out []fileField
	t := reflect.TypeFor[Details]()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type == reflect.TypeFor[FileURL]() {
			key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out = append(out, fileField{key: key, index: i})
		}
	}
	return out
})

// Files yields each file key with its URL: the typed file fields that are
// set, in declaration order, then the Extra keys ending in "_file" that
// hold a string, in key order.
func (d *Details) Files() iter.Seq2[string, FileURL] {
	return func(yield func(string, FileURL) bool) {
		if d == nil {
			return
		}
		v := reflect.ValueOf(d).Elem()
		for _, f := range detailsFileFields() {
			if u := FileURL(v.Field(f.index).String()); u != "" {
				if !yield(f.key, u) {
					return
				}
			}
		}
		keys := make([]string, 0, len(d.Extra))
		for k := range d.Extra {
			if strings.HasSuffix(k, "_file") {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			var s string
			if json.Unmarshal(d.Extra[k], &s) == nil && s != "" {
				if !yield(k, FileURL(s)) {
					return
				}
			}
		}
	}
}

// Len returns how many keys are set: typed fields plus Extra keys.
func (d *Details) Len() int {
	if d == nil {
		return 0
	}
	n := len(d.Extra)
	v := reflect.ValueOf(d).Elem()
	for _, fi := range detailsFieldIndex() {
		if f := v.Field(fi.index); !f.IsZero() {
			n++
		}
	}
	return n
}

// String prints how many keys and files are set: no personal data.
func (d Details) String() string {
	files := 0
	for range d.Files() {
		files++
	}
	return fmt.Sprintf("fractalid.Details{keys=%d files=%d extra=%d}", d.Len(), files, len(d.Extra))
}

// GoString prints the same as String.
func (d Details) GoString() string { return d.String() }

// Format makes every fmt verb print String.
func (d Details) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(d.String())) }

// LogValue implements slog.LogValuer with counts only.
func (d Details) LogValue() slog.Value {
	files := 0
	for range d.Files() {
		files++
	}
	return slog.GroupValue(slog.Int("keys", d.Len()), slog.Int("files", files), slog.Int("extra", len(d.Extra)))
}

// Report is the deprecated Coinfirm AML report of the wallet add-on. It
// prints its id and type only, never the address.
// Fields of unexpected types are left zero; Raw always holds the report
// as received.
//
// Deprecated: Fractal only returns reports stored earlier.
type Report struct {
	MockResponse        bool            `json:"mock_response,omitempty"`
	ReportID            string          `json:"report_id,omitempty"`
	IsSmartContract     bool            `json:"is_smart_contract,omitempty"`
	Version             string          `json:"version,omitempty"`
	ReportType          string          `json:"report_type,omitempty"`
	ReportTime          string          `json:"report_time,omitempty"`
	ReportBlockHeight   int64           `json:"report_block_height,omitempty"`
	Address             string          `json:"address,omitempty"`
	AddressType         string          `json:"address_type,omitempty"`
	AddressSubtype      string          `json:"address_subtype,omitempty"`
	AddressUsed         bool            `json:"address_used,omitempty"`
	AddressEstimation   json.RawMessage `json:"address_estimation,omitempty"`
	CScore              float64         `json:"cscore,omitempty"`
	Multisig            json.RawMessage `json:"multisig,omitempty"`
	Whitelist           bool            `json:"whitelist,omitempty"`
	CCBalance           float64         `json:"cc_balance,omitempty"`
	USDBalance          float64         `json:"usd_balance,omitempty"`
	USDExchangeRate     float64         `json:"usd_exchange_rate,omitempty"`
	Profiles            json.RawMessage `json:"profiles,omitempty"`
	CScoreInfo          json.RawMessage `json:"cscore_info,omitempty"`
	AssetsTotalUSDValue float64         `json:"assets_total_usd_value,omitempty"`
	AssetsCount         int64           `json:"assets_count,omitempty"`
	Indicators          json.RawMessage `json:"indicators,omitempty"`

	// Raw is the report as received.
	Raw json.RawMessage `json:"-"`
}

type reportFields Report

// UnmarshalJSON decodes what it can and keeps the raw report. Only a value
// that is not a JSON object (or null) is an error.
func (r *Report) UnmarshalJSON(b []byte) error {
	*r = Report{}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return typeError(b, reflect.TypeFor[Report](), "report")
	}
	if err := json.Unmarshal(b, (*reportFields)(r)); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return err
		}
	}
	r.Raw = bytes.Clone(b)
	return nil
}

// String prints the report id and type only: the report names the wallet
// address.
func (r Report) String() string {
	return fmt.Sprintf("fractalid.Report{id=%s type=%s}", safeToken(r.ReportID), safeToken(r.ReportType))
}

// Format makes every fmt verb print String.
func (r Report) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// LogValue implements slog.LogValuer without the address.
func (r Report) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", r.ReportID), slog.String("type", r.ReportType))
}

// MarshalJSON writes Raw when set, else the typed fields.
func (r Report) MarshalJSON() ([]byte, error) {
	if len(r.Raw) > 0 && json.Valid(r.Raw) {
		return r.Raw, nil
	}
	return json.Marshal((*reportFields)(&r))
}
