package credentials

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/kycgo/kyc/fractalid"
)

// Proof is Fractal's answer to a proof request: the wallet, the user's
// Fractal id, when the user was approved, until when the proof is valid,
// the credential it covers and Fractal's signature over all of them.
//
// What a Proof prints: String, Format (every verb) and LogValue show the
// credential (the requirement, which is not about the user), approvedAt
// and validUntil; never the wallet address or the Fractal id (together
// with a KYC result they are personal data), nor the signature (a
// fingerprint only). MarshalJSON writes every field in the API's shape,
// so a front end can hand a proof to a back end; treat that JSON as
// personal data.
type Proof struct {
	// Wallet is the address the proof is for (the API's `address`).
	Wallet Address
	// FractalID is the user's identifier (0x + 32-byte hex in the documentation), kept as sent.
	FractalID string
	// ApprovedAt is when the user was approved (whole seconds, UTC).
	ApprovedAt time.Time
	// ValidUntil is when the proof expires (whole seconds, UTC); the API
	// issues proofs valid for 24 hours.
	ValidUntil time.Time
	// Credential is what the proof covers.
	Credential Credential
	// Signature is Fractal's signature (the API's `proof`).
	Signature Signature
}

// Credential is the "expected credential" a proof covers, such as
// "level:plus+liveness;citizenship_not:de;residency_not:de": `;`-separated
// key:value pairs with lower-case country codes. Raw is what the proof
// signs; the other fields are read from it leniently.
type Credential struct {
	// Raw is the credential string as sent.
	Raw string
	// Level is the value of "level".
	Level fractalid.Level
	// CitizenshipNot lists the countries of "citizenship_not" (upper-cased;
	// empty when the list is empty). Several codes are assumed to be
	// separated by commas: the documentation shows lists of one only.
	CitizenshipNot []Country
	// ResidencyNot lists the countries of "residency_not", as CitizenshipNot.
	ResidencyNot []Country
	// Other keeps pairs with other keys.
	Other map[string]string
}

// ParseCredential reads a credential string. It never fails: parts it
// does not understand stay in Other (a part without ":" under its whole
// text with an empty value) and Raw is always s.
func ParseCredential(s string) Credential {
	c := Credential{Raw: s}
	for part := range strings.SplitSeq(s, ";") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, ":")
		switch k {
		case "level":
			c.Level = fractalid.ParseLevel(v)
		case "citizenship_not":
			c.CitizenshipNot = parseCodeList(v)
		case "residency_not":
			c.ResidencyNot = parseCodeList(v)
		default:
			if c.Other == nil {
				c.Other = map[string]string{}
			}
			c.Other[k] = v
		}
	}
	return c
}

func parseCodeList(v string) []Country {
	out := []Country{}
	for code := range strings.SplitSeq(v, ",") {
		code = strings.TrimSpace(code)
		if code != "" {
			out = append(out, Country(strings.ToUpper(code)))
		}
	}
	return out
}

// String is Raw: the requirement, which says nothing about the user.
func (c Credential) String() string { return c.Raw }

// Methods that print have value receivers, so a Proof prints the same
// whether it is passed by value or by pointer.

// SignedMessage is the text the proof's hash covers:
// "<wallet>;<fractalId>;<approvedAt>;<validUntil>;<credential>", with the
// wallet as 0x + 40 lower-case hex digits and the times as decimal Unix
// seconds (Fractal's Credential.sol). It holds personal data.
func (p *Proof) SignedMessage() string {
	var b strings.Builder
	b.WriteString(p.Wallet.Hex())
	b.WriteByte(';')
	b.WriteString(p.FractalID)
	b.WriteByte(';')
	b.WriteString(strconv.FormatInt(p.ApprovedAt.Unix(), 10))
	b.WriteByte(';')
	b.WriteString(strconv.FormatInt(p.ValidUntil.Unix(), 10))
	b.WriteByte(';')
	b.WriteString(p.Credential.Raw)
	return b.String()
}

// Hash is Keccak-256 of SignedMessage: the 32 bytes Fractal signs with personal_sign.
func (p *Proof) Hash() [32]byte { return keccak256([]byte(p.SignedMessage())) }

// Digest is the digest Fractal's signature is over:
// Keccak-256("\x19Ethereum Signed Message:\n32" || Hash()).
func (p *Proof) Digest() [32]byte {
	h := p.Hash()
	return PersonalMessageHash(h[:])
}

// String prints the credential and the times, never the wallet, the
// Fractal id or the whole signature.
func (p Proof) String() string {
	return fmt.Sprintf("credentials.Proof{Credential: %q, ApprovedAt: %s, ValidUntil: %s, Wallet: %s, FractalID: [redacted], Signature: %s}",
		p.Credential.Raw, p.ApprovedAt.UTC().Format(time.RFC3339), p.ValidUntil.UTC().Format(time.RFC3339), p.Wallet, p.Signature)
}

// GoString is String.
func (p Proof) GoString() string { return p.String() }

// Format prints String for every verb.
func (p Proof) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// LogValue logs the credential and the times only.
func (p Proof) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("credential", p.Credential.Raw),
		slog.Time("approved_at", p.ApprovedAt),
		slog.Time("valid_until", p.ValidUntil),
	)
}

// wireProof is the API's 200 body.
type wireProof struct {
	ApprovedAt json.RawMessage `json:"approvedAt"`
	Address    *string         `json:"address"`
	FractalID  *string         `json:"fractalId"`
	ValidUntil json.RawMessage `json:"validUntil"`
	Proof      *string         `json:"proof"`
	Credential *string         `json:"credential"`
}

// Limits on the fields of a proof.
const (
	maxFractalIDLen  = 256
	maxCredentialLen = 4096
	// maxProofJSON caps what ParseProof reads.
	maxProofJSON = 64 << 10
)

// MarshalJSON writes the API's response shape (approvedAt and validUntil
// as Unix seconds, the address in EIP-55 form, the signature as hex), which
// ParseProof reads back. It holds personal data.
func (p Proof) MarshalJSON() ([]byte, error) {
	addr, sig, cred, id := p.Wallet.Checksum(), p.Signature.Hex(), p.Credential.Raw, p.FractalID
	return json.Marshal(wireProof{
		ApprovedAt: json.RawMessage(strconv.FormatInt(p.ApprovedAt.Unix(), 10)),
		Address:    &addr,
		FractalID:  &id,
		ValidUntil: json.RawMessage(strconv.FormatInt(p.ValidUntil.Unix(), 10)),
		Proof:      &sig,
		Credential: &cred,
	})
}

// UnmarshalJSON reads what ParseProof reads; on error p is left unchanged.
func (p *Proof) UnmarshalJSON(b []byte) error {
	v, err := ParseProof(b)
	if err != nil {
		return err
	}
	*p = *v
	return nil
}

// ParseProof reads a proof in the API's response shape (as GetProof
// receives it, or as a front end forwards it). Every field is required and
// checked; a proof is returned whole or not at all, with a *ProofError
// (ErrMalformedProof) that quotes nothing of the input. Unknown members
// are ignored. It does not verify the signature: see Verifier.
func ParseProof(data []byte) (*Proof, error) {
	if len(data) > maxProofJSON {
		return nil, malformed("larger than 64 KiB")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var w wireProof
	if err := dec.Decode(&w); err != nil {
		return nil, malformed("not a JSON object of the proof's shape")
	}
	if dec.More() {
		return nil, malformed("data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF { //nolint:errorlint // io.EOF is returned unwrapped
		return nil, malformed("data after the JSON value")
	}
	return w.proof()
}

func malformed(reason string) *ProofError { return &ProofError{Reason: reason, Err: ErrMalformedProof} }

// proof checks and converts the wire form.
func (w *wireProof) proof() (*Proof, error) {
	if w.Address == nil || w.FractalID == nil || w.Proof == nil || w.Credential == nil || w.ApprovedAt == nil || w.ValidUntil == nil {
		return nil, malformed("a field is missing (approvedAt, address, fractalId, validUntil, proof and credential are required)")
	}
	addr, err := ParseAddress(*w.Address)
	if err != nil {
		return nil, malformed("address is not an EVM address")
	}
	if addr.IsZero() {
		return nil, malformed("address is zero")
	}
	sig, err := ParseSignature(*w.Proof)
	if err != nil {
		return nil, malformed("proof is not a 65-byte signature")
	}
	if !printableField(*w.FractalID, maxFractalIDLen) {
		return nil, malformed("fractalId is empty, too long or not printable ASCII without ';'")
	}
	if !printableCredential(*w.Credential) {
		return nil, malformed("credential is empty, too long or holds control characters")
	}
	approved, ok := parseUnix(w.ApprovedAt)
	if !ok {
		return nil, malformed("approvedAt is not a Unix time in seconds")
	}
	valid, ok := parseUnix(w.ValidUntil)
	if !ok {
		return nil, malformed("validUntil is not a Unix time in seconds")
	}
	return &Proof{
		Wallet:     addr,
		FractalID:  *w.FractalID,
		ApprovedAt: approved,
		ValidUntil: valid,
		Credential: ParseCredential(*w.Credential),
		Signature:  sig,
	}, nil
}

func printableField(s string, limit int) bool {
	if s == "" || len(s) > limit {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || c == ';' {
			return false
		}
	}
	return true
}

func printableCredential(s string) bool {
	if s == "" || len(s) > maxCredentialLen {
		return false
	}
	for _, c := range []byte(s) {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// maxUnix is the year 9999: later values are not times a proof can carry.
const maxUnix = 253402300799

// parseUnix reads a non-negative integer number of seconds, as a JSON
// number or a numeric string (decoded leniently), in canonical decimal
// form (the proof signs the decimal text).
func parseUnix(raw json.RawMessage) (time.Time, bool) {
	s := string(raw)
	if len(s) > 0 && s[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}, false
		}
	}
	if s == "" || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxUnix {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}
