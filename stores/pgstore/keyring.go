package pgstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/kycgo/kyc"
)

// KeySize is the size of an AES-256 key.
const KeySize = 32

// ErrDecrypt is matched when a stored token cannot be decrypted: its key
// id is not in the Keyring, or the ciphertext does not authenticate (it
// was altered, or moved to another row).
var ErrDecrypt = errors.New("pgstore: stored token cannot be decrypted")

// A Keyring holds the AES-256-GCM keys tokens are encrypted with, by key
// id. New rows are encrypted under the current key; a row is decrypted
// with the key its key id names, so old keys stay in the ring until every
// row has been saved again (by a refresh or [TokenStore.Reencrypt]).
//
// A Keyring never prints its keys: String, GoString, Format and LogValue
// show the key ids only.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns a Keyring whose current key is keys[current]. Each
// key must be KeySize random bytes (for example from crypto/rand, kept in
// your secret manager); key ids are 1 to 64 printable ASCII characters
// without spaces. The key bytes are copied.
func NewKeyring(current string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("pgstore: %w: NewKeyring: the current key id is not among the keys", kyc.ErrInvalidArgument)
	}
	k := &Keyring{current: current, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, key := range keys {
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return nil, fmt.Errorf("pgstore: %w: NewKeyring: a key id must be 1 to 64 printable ASCII characters without spaces", kyc.ErrInvalidArgument)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("pgstore: %w: NewKeyring: key %q is %d bytes, want %d (AES-256)", kyc.ErrInvalidArgument, id, len(key), KeySize)
		}
		block, err := aes.NewCipher(slices.Clone(key))
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[id] = aead
	}
	return k, nil
}

// Current returns the id of the key new rows are encrypted under.
func (k *Keyring) Current() string { return k.current }

// IDs returns the key ids, sorted.
func (k *Keyring) IDs() []string {
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// String implements fmt.Stringer: key ids only.
func (k *Keyring) String() string {
	return fmt.Sprintf("pgstore.Keyring{Current: %q, IDs: %q, Keys: [redacted]}", k.current, k.IDs())
}

// GoString implements fmt.GoStringer: key ids only.
func (k *Keyring) GoString() string { return k.String() }

// Format prints String for every verb.
func (k *Keyring) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue implements slog.LogValuer: key ids only.
func (k *Keyring) LogValue() slog.Value {
	return slog.GroupValue(slog.String("current", k.current), slog.Any("ids", k.IDs()))
}

// seal encrypts plaintext under the current key: nonce || ciphertext.
func (k *Keyring) seal(plaintext, ad []byte) (keyID string, sealed []byte) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	return k.current, aead.Seal(nonce, nonce, plaintext, ad)
}

// open decrypts sealed with the key keyID names.
func (k *Keyring) open(keyID string, sealed, ad []byte) ([]byte, error) {
	aead, ok := k.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("%w: key id %q is not in the keyring", ErrDecrypt, keyID)
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: ciphertext too short", ErrDecrypt)
	}
	n := aead.NonceSize()
	pt, err := aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrDecrypt)
	}
	return pt, nil
}

// ParseKeyring reads a Keyring from text, as kept in an environment
// variable or a secret manager: comma-separated id:key pairs, each key
// KeySize bytes in standard or URL-safe base64 (padded or not). The first
// pair names the current key; the others are older keys still needed to
// decrypt rows. For example "k2:<base64>,k1:<base64>". Errors name the
// position of a bad pair, never its text.
func ParseKeyring(spec string) (*Keyring, error) {
	keys := map[string][]byte{}
	current := ""
	for i, pair := range strings.Split(spec, ",") {
		id, enc, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("pgstore: %w: ParseKeyring: pair %d is not id:base64-key", kyc.ErrInvalidArgument, i+1)
		}
		var key []byte
		var err error
		for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if key, err = e.DecodeString(enc); err == nil {
				break
			}
		}
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("pgstore: %w: ParseKeyring: the key of pair %d is not %d bytes of base64", kyc.ErrInvalidArgument, i+1, KeySize)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("pgstore: %w: ParseKeyring: key id of pair %d appears twice", kyc.ErrInvalidArgument, i+1)
		}
		keys[id] = key
		if i == 0 {
			current = id
		}
	}
	return NewKeyring(current, keys)
}
