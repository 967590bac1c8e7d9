package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
)

// DefaultTokenTable is the table of [TokenSchema].
const DefaultTokenTable = "kyc_fractal_tokens"

// TokenSchema is the migration that creates the token table under its
// default name. Run it with your migration tool, or call
// [TokenStore.EnsureSchema]; nothing is created at import or construction.
//
// A row is keyed by Fractal's user uid, with the application's own user
// id beside it (unique when set). The token (access and refresh token,
// type, expiry, granted scopes) is in ciphertext, AES-256-GCM under the
// key named by key_id, bound to the row's uid. expiry (the access token's,
// in clear so that operators can see stale rows) and version (incremented
// on every save) reveal no token.
const TokenSchema = `CREATE TABLE IF NOT EXISTS kyc_fractal_tokens (
	uid         text PRIMARY KEY,
	app_user_id text UNIQUE,
	key_id      text NOT NULL,
	ciphertext  bytea NOT NULL,
	expiry      timestamptz,
	version     bigint NOT NULL,
	updated_at  timestamptz NOT NULL DEFAULT now()
);`

// Errors of the token store, usable with errors.Is.
var (
	// ErrNotFound: no row for this uid or application user id.
	ErrNotFound = errors.New("pgstore: no stored token")
	// ErrStaleToken: Save was given a token older (an earlier access
	// token expiry) than the stored one, which is kept.
	ErrStaleToken = errors.New("pgstore: the stored token is newer; not overwritten")
)

// DefaultOpTimeout bounds the database work of one TokenSource refresh
// (waiting for the row lock included).
const DefaultOpTimeout = 30 * time.Second

// TokenStore keeps Fractal ID user tokens in PostgreSQL, encrypted at rest.
// Its TokenSource serialises refreshes across processes with a row lock,
// so that Fractal's rotation of refresh tokens never leaves a process with
// a dead one. Safe for concurrent use.
type TokenStore struct {
	pool      *pgxpool.Pool
	keys      *Keyring
	table     string
	opTimeout time.Duration
}

// TokenOption configures a TokenStore. Options check their arguments.
type TokenOption func(*TokenStore) error

// WithTokenTable sets the table (DefaultTokenTable by default): a
// lower-case identifier, optionally schema-qualified. The rows' encryption
// is bound to each row's uid and key id, not to the table's name: the
// table can be renamed or moved to another schema, and named with or
// without its schema, without re-encrypting anything.
func WithTokenTable(name string) TokenOption {
	return func(s *TokenStore) error {
		if err := checkTable("WithTokenTable", name); err != nil {
			return err
		}
		s.table = name
		return nil
	}
}

// WithOpTimeout bounds the database work of one refresh in TokenSource,
// waiting for another process's refresh included (DefaultOpTimeout).
func WithOpTimeout(d time.Duration) TokenOption {
	return func(s *TokenStore) error {
		if d < time.Millisecond {
			return fmt.Errorf("pgstore: %w: WithOpTimeout: timeout must be at least a millisecond", kyc.ErrInvalidArgument)
		}
		s.opTimeout = d
		return nil
	}
}

// NewTokenStore returns a TokenStore on pool encrypting under keys. It
// sends nothing to the database: create the table with [TokenSchema] or
// EnsureSchema first.
func NewTokenStore(pool *pgxpool.Pool, keys *Keyring, opts ...TokenOption) (*TokenStore, error) {
	if pool == nil {
		return nil, fmt.Errorf("pgstore: %w: nil pool", kyc.ErrInvalidArgument)
	}
	if keys == nil {
		return nil, fmt.Errorf("pgstore: %w: nil keyring", kyc.ErrInvalidArgument)
	}
	s := &TokenStore{pool: pool, keys: keys, table: DefaultTokenTable, opTimeout: DefaultOpTimeout}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Schema returns the migration for this store's table ([TokenSchema]
// under the configured name).
func (s *TokenStore) Schema() string {
	if s.table == DefaultTokenTable {
		return TokenSchema
	}
	return `CREATE TABLE IF NOT EXISTS ` + s.table + TokenSchema[len(`CREATE TABLE IF NOT EXISTS kyc_fractal_tokens`):]
}

// EnsureSchema runs Schema (idempotent; replicas starting together are
// serialised by an advisory lock).
func (s *TokenStore) EnsureSchema(ctx context.Context) error {
	return dbErr("ensure schema", ensureSchema(ctx, s.pool, s.Schema()))
}

// StoredToken is one row of the store, decrypted.
//
// It never prints the token nor the application user id: String,
// GoString, Format, LogValue and MarshalJSON show "[redacted]".
type StoredToken struct {
	// UID is Fractal's user id (the uid of /v2/users/me and of webhooks).
	UID string
	// AppUserID is the application's own id of the user, or "".
	AppUserID string
	// Token is the user's token. Its "scope" extra holds the scopes
	// granted when it was issued (read them with fractalid.GrantedScopes).
	Token *oauth2.Token
	// KeyID names the key the row is encrypted under.
	KeyID string
	// Version counts the saves of the row, from 1.
	Version int64
	// UpdatedAt is when the row was last saved (database clock).
	UpdatedAt time.Time
}

// String implements fmt.Stringer without the token.
func (t StoredToken) String() string {
	app := ""
	if t.AppUserID != "" {
		app = "[redacted]"
	}
	tok := "<nil>"
	if t.Token != nil {
		tok = "[redacted]"
	}
	return fmt.Sprintf("pgstore.StoredToken{UID: %q, AppUserID: %s, Token: %s, KeyID: %q, Version: %d}", t.UID, app, tok, t.KeyID, t.Version)
}

// GoString implements fmt.GoStringer without the token.
func (t StoredToken) GoString() string { return t.String() }

// Format prints String for every verb.
func (t StoredToken) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// LogValue implements slog.LogValuer without the token.
func (t StoredToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("uid", t.UID), slog.String("key_id", t.KeyID), slog.Int64("version", t.Version))
}

// MarshalJSON implements json.Marshaler without the token.
func (t StoredToken) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		UID     string `json:"uid"`
		KeyID   string `json:"key_id"`
		Version int64  `json:"version"`
	}{t.UID, t.KeyID, t.Version})
}

// sealedToken is the plaintext of a row's ciphertext.
type sealedToken struct {
	Access  string    `json:"a,omitempty"`
	Type    string    `json:"t,omitempty"`
	Refresh string    `json:"r,omitempty"`
	Expiry  time.Time `json:"e,omitzero"`
	Scope   string    `json:"s,omitempty"`
}

// associatedData binds a ciphertext to the uid of its row and its key id:
// a ciphertext copied into another user's row does not decrypt. The table
// is left out on purpose, so that the same table under another spelling
// ("public.kyc_fractal_tokens"), renamed or moved to another schema still
// opens its rows.
func associatedData(uid, keyID string) []byte {
	return []byte("github.com/kycgo/kyc/stores/pgstore token v1\x00" + uid + "\x00" + keyID)
}

func (s *TokenStore) seal(uid string, tok *oauth2.Token) (keyID string, sealed []byte) {
	st := sealedToken{Access: tok.AccessToken, Type: tok.TokenType, Refresh: tok.RefreshToken, Expiry: tok.Expiry.UTC()}
	st.Scope, _ = tok.Extra("scope").(string)
	pt, _ := json.Marshal(st) // strings and a time: cannot fail
	id := s.keys.Current()
	_, sealed = s.keys.seal(pt, associatedData(uid, id))
	clear(pt)
	return id, sealed
}

func (s *TokenStore) open(uid, keyID string, sealed []byte) (*oauth2.Token, error) {
	pt, err := s.keys.open(keyID, sealed, associatedData(uid, keyID))
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	var st sealedToken
	if err := json.Unmarshal(pt, &st); err != nil {
		return nil, fmt.Errorf("%w: malformed plaintext", ErrDecrypt)
	}
	tok := &oauth2.Token{AccessToken: st.Access, TokenType: st.Type, RefreshToken: st.Refresh, Expiry: st.Expiry}
	if st.Scope != "" {
		tok = tok.WithExtra(map[string]any{"scope": st.Scope})
	}
	return tok, nil
}

func checkUID(uid string) error {
	if uid == "" || len(uid) > 256 {
		return fmt.Errorf("pgstore: %w: the uid must be 1 to 256 bytes", kyc.ErrInvalidArgument)
	}
	return nil
}

func expiryArg(tok *oauth2.Token) any {
	if tok.Expiry.IsZero() {
		return nil
	}
	return tok.Expiry
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Save stores tok for the Fractal user uid (for example right after
// Config.Exchange), encrypted under the current key. appUserID is the
// application's own id of the user; "" keeps the one stored, if any.
//
// An older token never replaces a newer one: when the stored access token
// expires later than tok's, nothing is written and the error matches
// ErrStaleToken. (Tokens without an expiry are always written.)
func (s *TokenStore) Save(ctx context.Context, uid, appUserID string, tok *oauth2.Token) error {
	if err := checkUID(uid); err != nil {
		return err
	}
	if tok == nil || (tok.AccessToken == "" && tok.RefreshToken == "") {
		return fmt.Errorf("pgstore: %w: a token with an access or refresh token is required", kyc.ErrInvalidArgument)
	}
	keyID, sealed := s.seal(uid, tok)
	tag, err := s.pool.Exec(ctx, `INSERT INTO `+s.table+` AS t (uid, app_user_id, key_id, ciphertext, expiry, version, updated_at)
VALUES ($1, $2, $3, $4, $5, 1, now())
ON CONFLICT (uid) DO UPDATE SET app_user_id = COALESCE(EXCLUDED.app_user_id, t.app_user_id),
	key_id = EXCLUDED.key_id, ciphertext = EXCLUDED.ciphertext, expiry = EXCLUDED.expiry,
	version = t.version + 1, updated_at = now()
WHERE t.expiry IS NULL OR EXCLUDED.expiry IS NULL OR t.expiry <= EXCLUDED.expiry`,
		uid, nullable(appUserID), keyID, sealed, expiryArg(tok))
	if err != nil {
		return dbErr("save", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrStaleToken
	}
	return nil
}

const selectColumns = `uid, COALESCE(app_user_id, ''), key_id, ciphertext, version, updated_at`

func (s *TokenStore) scan(row pgx.Row, op string) (*StoredToken, error) {
	var st StoredToken
	var sealed []byte
	if err := row.Scan(&st.UID, &st.AppUserID, &st.KeyID, &sealed, &st.Version, &st.UpdatedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, dbErr(op, err)
	}
	tok, err := s.open(st.UID, st.KeyID, sealed)
	if err != nil {
		return nil, err
	}
	st.Token = tok
	return &st, nil
}

// Load returns the stored token of the Fractal user uid; ErrNotFound when
// there is none.
func (s *TokenStore) Load(ctx context.Context, uid string) (*StoredToken, error) {
	if err := checkUID(uid); err != nil {
		return nil, err
	}
	return s.scan(s.pool.QueryRow(ctx, `SELECT `+selectColumns+` FROM `+s.table+` WHERE uid = $1`, uid), "load")
}

// LoadByAppUserID returns the stored token of the user the application
// knows as appUserID; ErrNotFound when there is none.
func (s *TokenStore) LoadByAppUserID(ctx context.Context, appUserID string) (*StoredToken, error) {
	if appUserID == "" {
		return nil, fmt.Errorf("pgstore: %w: empty application user id", kyc.ErrInvalidArgument)
	}
	return s.scan(s.pool.QueryRow(ctx, `SELECT `+selectColumns+` FROM `+s.table+` WHERE app_user_id = $1`, appUserID), "load")
}

// Delete removes the row of the Fractal user uid (for example when the
// user withdrew consent). Deleting a missing row is not an error.
func (s *TokenStore) Delete(ctx context.Context, uid string) error {
	if err := checkUID(uid); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM `+s.table+` WHERE uid = $1`, uid)
	return dbErr("delete", err)
}

// Reencrypt saves every row that is not under the current key again under
// it, row by row, each under its row lock, and returns how many it
// rewrote. Run it after adding a new current key; then the old key can
// leave the Keyring.
func (s *TokenStore) Reencrypt(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT uid FROM `+s.table+` WHERE key_id <> $1`, s.keys.Current())
	if err != nil {
		return 0, dbErr("reencrypt", err)
	}
	uids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, dbErr("reencrypt", err)
	}
	n := 0
	for _, uid := range uids {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			st, err := s.scan(tx.QueryRow(ctx, `SELECT `+selectColumns+` FROM `+s.table+` WHERE uid = $1 FOR UPDATE`, uid), "reencrypt")
			if errors.Is(err, ErrNotFound) || (err == nil && st.KeyID == s.keys.Current()) {
				return nil
			}
			if err != nil {
				return err
			}
			keyID, sealed := s.seal(uid, st.Token)
			if _, err := tx.Exec(ctx, `UPDATE `+s.table+` SET key_id = $2, ciphertext = $3 WHERE uid = $1`, uid, keyID, sealed); err != nil {
				return dbErr("reencrypt", err)
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// TokenSource returns a token source for the Fractal user uid, for
// fractalid.NewClient, that every process can use at once:
//
//   - a token that is still valid is served from memory, else re-read
//     from the row (another process may have refreshed it);
//   - an expired (or refused) token is refreshed in a transaction that
//     holds the row lock (SELECT ... FOR UPDATE) and reads the row again
//     once it has the lock: the first process to get the lock refreshes
//     through cfg and writes the rotated token before committing, the
//     others find that token and use it. Exactly one refresh per expiry
//     reaches Fractal, however many processes and sources there are.
//
// ctx is used to load the row now (ErrNotFound when there is none); the
// later database work of a refresh runs on a context detached from it,
// bounded by the store's op timeout. A refused refresh token gives a
// *kyc.ReauthorizationRequiredError: send the user through
// authorization again (and Save the new token).
func (s *TokenStore) TokenSource(ctx context.Context, cfg fractalid.Config, uid string) (oauth2.TokenSource, error) {
	st, err := s.Load(ctx, uid)
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("pgstore: %w: Config.ClientID is required", kyc.ErrInvalidArgument)
	}
	return &lockedSource{store: s, cfg: cfg, uid: uid, ctx: context.WithoutCancel(ctx), cur: st.Token}, nil
}

// lockedSource is the source TokenSource returns. It implements the
// SDK core's context-bounded fetch (TokenContext) and invalidation
// (InvalidateToken) hooks.
type lockedSource struct {
	store *TokenStore
	cfg   fractalid.Config
	uid   string
	ctx   context.Context // detached from the caller's cancellation

	mu      sync.Mutex
	cur     *oauth2.Token
	refused string // an access token the resource server refused
}

// usable reports whether tok can be sent: valid (oauth2's margin) and not
// refused.
func usable(tok *oauth2.Token, refused string) bool {
	return tok != nil && tok.Valid() && tok.AccessToken != refused
}

// Token implements oauth2.TokenSource.
func (l *lockedSource) Token() (*oauth2.Token, error) { return l.TokenContext(l.ctx) }

// TokenContext is Token bounded by ctx (and by the store's op timeout):
// the SDK's clients call it with their token-fetch deadline. Once a
// refresh has reached Fractal, saving its result is not cut short by ctx.
func (l *lockedSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if usable(l.cur, l.refused) {
		return copyToken(l.cur), nil
	}
	ctx, cancel := context.WithTimeout(ctx, l.store.opTimeout)
	defer cancel()
	// Another process may have refreshed already: read without a lock.
	st, err := l.store.Load(ctx, l.uid)
	if err != nil {
		return nil, err
	}
	if usable(st.Token, l.refused) {
		l.cur = st.Token
		return copyToken(l.cur), nil
	}
	tok, err := l.store.refresh(ctx, l.cfg, l.uid, l.refused)
	if err != nil {
		return nil, err
	}
	l.cur = tok
	return copyToken(tok), nil
}

// InvalidateToken implements the core's invalidation hook: after the
// resource server refused access (a 401), the next Token call refreshes,
// unless the stored token has moved on already.
func (l *lockedSource) InvalidateToken(used string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if used != "" {
		l.refused = used
	}
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}

// refresh runs one refresh under the row lock, unless the row holds a
// usable token once the lock is held.
func (s *TokenStore) refresh(ctx context.Context, cfg fractalid.Config, uid, refused string) (*oauth2.Token, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, dbErr("refresh: begin", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // no-op after Commit
	st, err := s.scan(tx.QueryRow(ctx, `SELECT `+selectColumns+` FROM `+s.table+` WHERE uid = $1 FOR UPDATE`, uid), "refresh: lock")
	if err != nil {
		return nil, err
	}
	if usable(st.Token, refused) {
		// Another process refreshed while this one waited for the lock.
		if err := tx.Commit(ctx); err != nil {
			return nil, dbErr("refresh: commit", err)
		}
		return st.Token, nil
	}
	if st.Token.RefreshToken == "" {
		return nil, &kyc.TokenError{Reason: "access token expired and no refresh token is stored"}
	}
	// From the refresh on, the rotated token must reach the row: its
	// save and the commit do not end with ctx.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opTimeout)
	defer cancel()
	var saveErr error
	src, err := cfg.TokenSource(&oauth2.Token{RefreshToken: st.Token.RefreshToken}, fractalid.TokenStoreFunc(func(_ context.Context, next *oauth2.Token) error {
		if next.Expiry.IsZero() && next.AccessToken == "" {
			saveErr = errors.New("pgstore: the refresh returned no access token")
			return saveErr
		}
		keyID, sealed := s.seal(uid, next)
		_, err := tx.Exec(saveCtx, `UPDATE `+s.table+` SET key_id = $2, ciphertext = $3, expiry = $4,
	version = version + 1, updated_at = now() WHERE uid = $1`, uid, keyID, sealed, expiryArg(next))
		if err != nil {
			saveErr = dbErr("refresh: save", err)
			return saveErr
		}
		return nil
	}))
	if err != nil {
		return nil, err
	}
	next, err := src.Token()
	if err != nil {
		if saveErr != nil {
			return nil, saveErr
		}
		return nil, err
	}
	if err := tx.Commit(saveCtx); err != nil {
		return nil, dbErr("refresh: commit", err)
	}
	return next, nil
}
