package krakentest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"time"
)

// MaxAPITokenLifetime is the longest exp - now the fake accepts on an API
// token: Kraken's documented "max 10min for API tokens".
const MaxAPITokenLifetime = 600 * time.Second

// maxIATSkew is how far in the future (by the fake's clock) an iat may be.
const maxIATSkew = 60 * time.Second

// tokenKind says which token an endpoint expects.
type tokenKind int

const (
	kycToken tokenKind = iota + 1
	apiToken
)

// verifiedToken holds the claims of a token that passed verification.
type verifiedToken struct {
	Level string
	State string
	// HasState reports a "state" claim.
	HasState bool
	IAT, EXP int64
}

// verifyJWT checks a compact JWS the way the fake's Kraken does, without
// any JWT library: header {"alg":"ES512"} (typ, when present, "JWT"), a
// 132-byte R||S ECDSA P-521 signature over SHA-512 of the signing input by
// pub, clientId equal to clientID, and the claims of kind. It returns a
// reason safe to print when the token is refused.
func verifyJWT(raw string, pub *ecdsa.PublicKey, clientID string, kind tokenKind, now time.Time) (*verifiedToken, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS (three dot-separated parts)")
	}
	hdrJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, errors.New("header is not unpadded base64url")
	}
	var hdr map[string]json.RawMessage
	if err := strictObject(hdrJSON, &hdr); err != nil {
		return nil, errors.New("header is not a JSON object")
	}
	var alg string
	if json.Unmarshal(hdr["alg"], &alg) != nil || alg != "ES512" {
		return nil, errors.New("alg is not ES512")
	}
	if t, ok := hdr["typ"]; ok {
		var typ string
		if json.Unmarshal(t, &typ) != nil || !strings.EqualFold(typ, "JWT") {
			return nil, errors.New("typ is not JWT")
		}
	}
	if _, ok := hdr["crit"]; ok {
		return nil, errors.New("crit header not supported")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("signature is not unpadded base64url")
	}
	if len(sig) != 132 {
		return nil, errors.New("signature is not 132 bytes (R||S of P-521)")
	}
	if pub == nil || pub.Curve == nil || pub.Curve.Params().Name != "P-521" {
		return nil, errors.New("registered key is not on P-521")
	}
	digest := sha512.Sum512([]byte(parts[0] + "." + parts[1]))
	r := new(big.Int).SetBytes(sig[:66])
	s := new(big.Int).SetBytes(sig[66:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return nil, errors.New("signature does not verify with the registered key")
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errors.New("payload is not unpadded base64url")
	}
	var claims map[string]json.RawMessage
	if err := strictObject(body, &claims); err != nil {
		return nil, errors.New("payload is not a JSON object")
	}
	var cid string
	if json.Unmarshal(claims["clientId"], &cid) != nil || cid != clientID {
		return nil, errors.New("clientId is not the registered client")
	}
	v := &verifiedToken{}
	iat, ok := intClaim(claims, "iat")
	if !ok {
		return nil, errors.New("iat missing or not a number")
	}
	if time.Unix(iat, 0).After(now.Add(maxIATSkew)) {
		return nil, errors.New("iat is in the future")
	}
	v.IAT = iat
	switch kind {
	case kycToken:
		if string(claims["kyc"]) != "true" {
			return nil, errors.New("kyc claim is not true")
		}
		if json.Unmarshal(claims["level"], &v.Level) != nil || v.Level == "" {
			return nil, errors.New("level missing or not a string")
		}
		if st, ok := claims["state"]; ok {
			if json.Unmarshal(st, &v.State) != nil {
				return nil, errors.New("state is not a string")
			}
			v.HasState = true
		}
		if _, ok := claims["api"]; ok {
			return nil, errors.New("an API token is not a KYC link token")
		}
	case apiToken:
		if string(claims["api"]) != "true" {
			return nil, errors.New("api claim is not true")
		}
		if _, ok := claims["kyc"]; ok {
			return nil, errors.New("a KYC link token is not an API token")
		}
		exp, ok := intClaim(claims, "exp")
		if !ok {
			return nil, errors.New("exp missing or not a number")
		}
		left := time.Unix(exp, 0).Sub(now)
		if left <= 0 {
			return nil, errors.New("token expired")
		}
		if left > MaxAPITokenLifetime {
			return nil, errors.New("exp more than 600 s ahead")
		}
		v.EXP = exp
	}
	return v, nil
}

func intClaim(claims map[string]json.RawMessage, k string) (int64, bool) {
	raw, ok := claims[k]
	if !ok || len(raw) == 0 || raw[0] == '"' {
		return 0, false
	}
	var f json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&f) != nil {
		return 0, false
	}
	n, err := f.Int64()
	if err != nil {
		fl, ferr := f.Float64()
		if ferr != nil {
			return 0, false
		}
		n = int64(fl)
	}
	return n, true
}

// strictObject decodes one JSON object and nothing after it.
func strictObject(b []byte, v *map[string]json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if *v == nil {
		return errors.New("null")
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}
