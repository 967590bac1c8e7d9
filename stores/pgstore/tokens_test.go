package pgstore_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/stores/pgstore"
)

func randomKey(tb testing.TB) []byte {
	tb.Helper()
	k := make([]byte, pgstore.KeySize)
	if _, err := rand.Read(k); err != nil {
		tb.Fatal(err)
	}
	return k
}

func newKeyring(tb testing.TB, current string, keys map[string][]byte) *pgstore.Keyring {
	tb.Helper()
	k, err := pgstore.NewKeyring(current, keys)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func newTokenStore(tb testing.TB, pool *pgxpool.Pool, keys *pgstore.Keyring, table string) *pgstore.TokenStore {
	tb.Helper()
	s, err := pgstore.NewTokenStore(pool, keys, pgstore.WithTokenTable(table))
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.EnsureSchema(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// fakeUser returns a fake Fractal ID that revokes a refresh token as soon
// as it is used (so a second use fails with invalid_grant), a user and a
// token of that user whose access token has expired, on both clocks.
func fakeUser(tb testing.TB) (*fractalidtest.Server, string, *oauth2.Token) {
	tb.Helper()
	srv := fractalidtest.NewServer(tb, fractalidtest.WithRefreshRevocation(fractalidtest.RevokeImmediately))
	u := srv.AddUser(fractalidtest.User{})
	tok, err := srv.IssueToken(u.ID())
	if err != nil {
		tb.Fatal(err)
	}
	srv.Advance(3 * time.Hour) // the fake's access tokens live 2 hours
	tok.Expiry = time.Now().Add(-time.Minute)
	return srv, u.ID(), tok
}

func TestSaveLoadDelete(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	table := tableName("tok")
	s := newTokenStore(t, pool, newKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)}), table)
	tok := (&oauth2.Token{AccessToken: "access-SENTINEL", RefreshToken: "refresh-SENTINEL", TokenType: "bearer",
		Expiry: time.Now().Add(time.Hour).Round(time.Microsecond)}).WithExtra(map[string]any{"scope": "uid:read email:read"})
	if err := s.Save(ctx, "uid-1", "app-user-1", tok); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func() (*pgstore.StoredToken, error){
		"uid": func() (*pgstore.StoredToken, error) { return s.Load(ctx, "uid-1") },
		"app": func() (*pgstore.StoredToken, error) { return s.LoadByAppUserID(ctx, "app-user-1") },
	} {
		st, err := load()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.UID != "uid-1" || st.AppUserID != "app-user-1" || st.KeyID != "k1" || st.Version != 1 ||
			st.Token.AccessToken != tok.AccessToken || st.Token.RefreshToken != tok.RefreshToken ||
			st.Token.TokenType != "bearer" || !st.Token.Expiry.Equal(tok.Expiry) {
			t.Fatalf("%s: loaded %+v / %+v", name, st, *st.Token)
		}
		if got := fractalid.GrantedScopes(st.Token); len(got) != 2 {
			t.Errorf("%s: granted scopes %v", name, got)
		}
	}
	// An older token does not replace the stored one; "" keeps the app id.
	older := &oauth2.Token{AccessToken: "older", RefreshToken: "older-r", Expiry: tok.Expiry.Add(-time.Minute)}
	if err := s.Save(ctx, "uid-1", "", older); !errors.Is(err, pgstore.ErrStaleToken) {
		t.Fatalf("saving an older token: %v", err)
	}
	newer := &oauth2.Token{AccessToken: "newer", RefreshToken: "newer-r", Expiry: tok.Expiry.Add(time.Minute)}
	if err := s.Save(ctx, "uid-1", "", newer); err != nil {
		t.Fatal(err)
	}
	st, err := s.Load(ctx, "uid-1")
	if err != nil || st.Token.AccessToken != "newer" || st.AppUserID != "app-user-1" || st.Version != 2 {
		t.Fatalf("after a newer save: %v %v", st, err)
	}
	// Nothing in the row reveals a token.
	var row string
	if err := pool.QueryRow(ctx, `SELECT t::text FROM `+table+` t WHERE uid = 'uid-1'`).Scan(&row); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"newer", "SENTINEL"} {
		if strings.Contains(row, secret) || strings.Contains(row, hex.EncodeToString([]byte(secret))) {
			t.Fatalf("row reveals %q: %s", secret, row)
		}
	}
	if err := s.Delete(ctx, "uid-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "uid-1"); !errors.Is(err, pgstore.ErrNotFound) {
		t.Fatalf("load after delete: %v", err)
	}
	if _, err := s.LoadByAppUserID(ctx, "app-user-1"); !errors.Is(err, pgstore.ErrNotFound) {
		t.Fatalf("load by app id after delete: %v", err)
	}
	if err := s.Delete(ctx, "uid-1"); err != nil {
		t.Fatalf("deleting a missing row: %v", err)
	}
}

// The ciphertext is bound to its row: copied into another row's uid, it
// does not decrypt. An unknown key id does not decrypt either.
func TestCiphertextBoundToRowAndKey(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	table := tableName("bind")
	s := newTokenStore(t, pool, newKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)}), table)
	tok := &oauth2.Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}
	if err := s.Save(ctx, "alice", "", tok); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "mallory", "", &oauth2.Token{AccessToken: "m", Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE `+table+` SET ciphertext = (SELECT ciphertext FROM `+table+` WHERE uid = 'alice') WHERE uid = 'mallory'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "mallory"); !errors.Is(err, pgstore.ErrDecrypt) {
		t.Fatalf("a ciphertext moved to another row: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE `+table+` SET key_id = 'gone' WHERE uid = 'alice'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "alice"); !errors.Is(err, pgstore.ErrDecrypt) {
		t.Fatalf("an unknown key id: %v", err)
	}
}

// The ciphertext is bound to the row's uid and key, not to how the table
// is named: rows saved under the default spelling load under the
// schema-qualified one and after the table is renamed, while a
// ciphertext copied to another uid still does not decrypt.
func TestTableCanBeRenamed(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	table := tableName("ren")
	keys := newKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)})
	s := newTokenStore(t, pool, keys, table)
	tok := &oauth2.Token{AccessToken: "access-SENTINEL", RefreshToken: "refresh-SENTINEL", Expiry: time.Now().Add(time.Hour)}
	for _, uid := range []string{"alice", "mallory"} {
		if err := s.Save(ctx, uid, "", tok); err != nil {
			t.Fatal(err)
		}
	}
	load := func(name, uid string) (*pgstore.StoredToken, error) {
		t.Helper()
		s, err := pgstore.NewTokenStore(pool, keys, pgstore.WithTokenTable(name))
		if err != nil {
			t.Fatal(err)
		}
		return s.Load(ctx, uid)
	}
	if st, err := load("public."+table, "alice"); err != nil || st.Token.RefreshToken != tok.RefreshToken {
		t.Fatalf("under the schema-qualified name: %v %v", st, err)
	}
	renamed := table + "_v2"
	if _, err := pool.Exec(ctx, `ALTER TABLE `+table+` RENAME TO `+renamed); err != nil {
		t.Fatal(err)
	}
	if st, err := load(renamed, "alice"); err != nil || st.Token.AccessToken != tok.AccessToken {
		t.Fatalf("after renaming the table: %v %v", st, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE `+renamed+` SET ciphertext = (SELECT ciphertext FROM `+renamed+` WHERE uid = 'alice') WHERE uid = 'mallory'`); err != nil {
		t.Fatal(err)
	}
	if _, err := load("public."+renamed, "mallory"); !errors.Is(err, pgstore.ErrDecrypt) {
		t.Fatalf("a ciphertext moved to another uid: %v", err)
	}
}

// Key rotation: rows under the old key still load; Save and Reencrypt
// move rows to the current key, after which the old key can go.
func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	table := tableName("rot")
	k1, k2 := randomKey(t), randomKey(t)
	old := newTokenStore(t, pool, newKeyring(t, "k1", map[string][]byte{"k1": k1}), table)
	for _, uid := range []string{"u1", "u2", "u3"} {
		if err := old.Save(ctx, uid, "", &oauth2.Token{AccessToken: "a-" + uid, RefreshToken: "r-" + uid, Expiry: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	s := newTokenStore(t, pool, newKeyring(t, "k2", map[string][]byte{"k1": k1, "k2": k2}), table)
	st, err := s.Load(ctx, "u1")
	if err != nil || st.KeyID != "k1" || st.Token.AccessToken != "a-u1" {
		t.Fatalf("old row under the new ring: %v %v", st, err)
	}
	if err := s.Save(ctx, "u1", "", &oauth2.Token{AccessToken: "a2-u1", Expiry: time.Now().Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Load(ctx, "u1"); st == nil || st.KeyID != "k2" {
		t.Fatalf("saved row not under the current key: %v", st)
	}
	n, err := s.Reencrypt(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Reencrypt = %d, %v; want 2", n, err)
	}
	only2 := newTokenStore(t, pool, newKeyring(t, "k2", map[string][]byte{"k2": k2}), table)
	for _, uid := range []string{"u1", "u2", "u3"} {
		st, err := only2.Load(ctx, uid)
		if err != nil || st.KeyID != "k2" {
			t.Fatalf("%s after reencrypt, old key gone: %v %v", uid, st, err)
		}
	}
	if st, _ := only2.Load(ctx, "u2"); st.Token.RefreshToken != "r-u2" {
		t.Fatal("reencrypt changed the token")
	}
}

func TestKeyringAndStoreArguments(t *testing.T) {
	good := make([]byte, pgstore.KeySize)
	for name, f := range map[string]func() error{
		"current missing": func() error { _, err := pgstore.NewKeyring("k", map[string][]byte{"j": good}); return err },
		"short key":       func() error { _, err := pgstore.NewKeyring("k", map[string][]byte{"k": good[:16]}); return err },
		"bad id":          func() error { _, err := pgstore.NewKeyring("k 1", map[string][]byte{"k 1": good}); return err },
		"nil pool":        func() error { _, err := pgstore.NewTokenStore(nil, nil); return err },
		"bad table": func() error {
			_, err := pgstore.NewTokenStore(newPool(t), newKeyring(t, "k", map[string][]byte{"k": good}), pgstore.WithTokenTable("a-b"))
			return err
		},
		"bad timeout": func() error {
			_, err := pgstore.NewTokenStore(newPool(t), newKeyring(t, "k", map[string][]byte{"k": good}), pgstore.WithOpTimeout(0))
			return err
		},
	} {
		if err := f(); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s, err := pgstore.NewTokenStore(newPool(t), newKeyring(t, "k", map[string][]byte{"k": good}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Save(ctx, "", "", &oauth2.Token{AccessToken: "a"}); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("empty uid: %v", err)
	}
	if err := s.Save(ctx, "u", "", &oauth2.Token{}); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("empty token: %v", err)
	}
	if _, err := s.LoadByAppUserID(ctx, ""); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("empty app id: %v", err)
	}
}

// Keyring and StoredToken print no key, token or application user id,
// whatever the verb, in slog or JSON.
func TestRedaction(t *testing.T) {
	key := []byte("KEYSENTINEL-0123456789abcdefghij")
	k := newKeyring(t, "k1", map[string][]byte{"k1": key})
	st := pgstore.StoredToken{UID: "uid-1", AppUserID: "alice@example.com", KeyID: "k1", Version: 3,
		Token: &oauth2.Token{AccessToken: "ACCESSSENTINEL", RefreshToken: "REFRESHSENTINEL"}}
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("x", "ring", k, "row", st, "rowp", &st)
	js, _ := json.Marshal(st)
	out := buf.String() + string(js)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out += fmt.Sprintf(verb, k) + fmt.Sprintf(verb, st) + fmt.Sprintf(verb, &st)
	}
	for _, secret := range []string{"KEYSENTINEL", hex.EncodeToString(key[:8]), "ACCESSSENTINEL", "REFRESHSENTINEL", "alice@"} {
		if strings.Contains(out, secret) {
			t.Fatalf("%q printed:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "uid-1") || !strings.Contains(out, "k1") {
		t.Fatalf("uid and key id should print:\n%s", out)
	}
}

// refreshTokensSent returns the refresh tokens the fake's token endpoint
// received, in order.
func refreshTokensSent(srv *fractalidtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Method != "POST" || r.Path != "/oauth/token" {
			continue
		}
		q, _ := url.ParseQuery(string(r.Body))
		if q.Get("grant_type") == "refresh_token" {
			out = append(out, q.Get("refresh_token"))
		}
	}
	return out
}

// checkRotation checks the outcome of concurrent Me calls for a user
// whose token had expired: one refresh reached the fake, the row holds
// the rotated (newest) refresh token, and the old one is dead.
func checkRotation(t *testing.T, srv *fractalidtest.Server, s *pgstore.TokenStore, cfg fractalid.Config, uid string, old *oauth2.Token) {
	t.Helper()
	sent := refreshTokensSent(srv)
	if len(sent) != 1 || sent[0] != old.RefreshToken {
		t.Fatalf("%d refresh requests reached the fake, want exactly 1 with the stored refresh token", len(sent))
	}
	seen := map[string]bool{}
	for _, rt := range sent {
		if seen[rt] {
			t.Fatal("a refresh token was used twice")
		}
		seen[rt] = true
	}
	st, err := s.Load(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	if st.Token.RefreshToken == old.RefreshToken || st.Version != 2 {
		t.Fatalf("row not rotated: version %d", st.Version)
	}
	// The old refresh token is dead (rotation is enforced); the stored one
	// is the live, newest one.
	oc := cfg
	src, err := oc.TokenSource(&oauth2.Token{RefreshToken: old.RefreshToken}, fractalid.TokenStoreFunc(func(context.Context, *oauth2.Token) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	var re *kyc.ReauthorizationRequiredError
	if _, err := src.Token(); !errors.As(err, &re) {
		t.Fatalf("the old refresh token still works: %v", err)
	}
	src, _ = oc.TokenSource(&oauth2.Token{RefreshToken: st.Token.RefreshToken}, fractalid.TokenStoreFunc(func(context.Context, *oauth2.Token) error { return nil }))
	if _, err := src.Token(); err != nil {
		t.Fatalf("the stored refresh token is not the live one: %v", err)
	}
}

// meMany calls Me for uid from n goroutines, each with a token source and
// client of its own, all starting at once; it returns the errors.
func meMany(ctx context.Context, s *pgstore.TokenStore, cfg fractalid.Config, env fractalid.Environment, uid string, n int, start <-chan struct{}) []error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ts, err := s.TokenSource(ctx, cfg, uid)
			if err != nil {
				errs[i] = err
				return
			}
			c, err := fractalid.NewClient(ts, fractalid.WithEnvironment(env))
			if err != nil {
				errs[i] = err
				return
			}
			<-start
			me, err := c.Me(ctx)
			if err == nil && me.UID != uid {
				err = fmt.Errorf("Me returned another user")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errs
}

// Two pools (as two replicas), each with 200 goroutines calling Me with
// sources of their own, for one user whose access token has expired.
func TestRotationTwoPools(t *testing.T) {
	srv, uid, tok := fakeUser(t)
	cfg := *srv.Config()
	table := tableName("rot2")
	keys := newKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)})
	a := newTokenStore(t, newPool(t), keys, table)
	b := newTokenStore(t, newPool(t), keys, table)
	ctx := context.Background()
	if err := a.Save(ctx, uid, "app-1", tok); err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	var errsA, errsB []error
	wg.Go(func() { errsA = meMany(ctx, a, cfg, srv.Environment(), uid, 200, start) })
	wg.Go(func() { errsB = meMany(ctx, b, cfg, srv.Environment(), uid, 200, start) })
	time.Sleep(100 * time.Millisecond)
	close(start)
	wg.Wait()
	failed := 0
	for _, err := range append(errsA, errsB...) {
		if err != nil {
			failed++
			if failed < 4 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of 400 calls failed", failed)
	}
	t.Logf("400 Me calls over 2 pools, 400 token sources: all succeeded, %d refresh request(s) reached the fake, %d Me requests",
		len(refreshTokensSent(srv)), srv.Count("GET", "/v2/users/me"))
	checkRotation(t, srv, a, cfg, uid, tok)
}

// tokenChildSpec is what a child process of TestRotationTwoProcesses needs.
type tokenChildSpec struct {
	PGURL, Table, KeyHex, UID  string
	ClientID, Secret, Redirect string
	Env                        fractalid.Environment
	Goroutines                 int
}

// runTokenChild is one replica: it prints "ready", waits for a line on
// stdin, runs the goroutines and prints the number of failed calls.
func runTokenChild(raw string) int {
	var spec tokenChildSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		fmt.Println("bad spec:", err)
		return 2
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, spec.PGURL)
	if err != nil {
		fmt.Println(err)
		return 2
	}
	defer pool.Close()
	key, _ := hex.DecodeString(spec.KeyHex)
	keys, err := pgstore.NewKeyring("k1", map[string][]byte{"k1": key})
	if err != nil {
		fmt.Println(err)
		return 2
	}
	s, err := pgstore.NewTokenStore(pool, keys, pgstore.WithTokenTable(spec.Table))
	if err != nil {
		fmt.Println(err)
		return 2
	}
	cfg := fractalid.Config{ClientID: spec.ClientID, ClientSecret: spec.Secret, RedirectURL: spec.Redirect, Environment: spec.Env}
	start := make(chan struct{})
	go func() {
		fmt.Println("ready")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		close(start)
	}()
	errs := meMany(ctx, s, cfg, spec.Env, spec.UID, spec.Goroutines, start)
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			if failed < 4 {
				fmt.Println("error:", err)
			}
		}
	}
	fmt.Println("failed", failed)
	return 0
}

// Two processes, each with 200 goroutines (each with a source and client
// of its own), call Me for one user whose access token has expired.
func TestRotationTwoProcesses(t *testing.T) {
	srv, uid, tok := fakeUser(t)
	cfg := *srv.Config()
	table := tableName("rotp")
	key := randomKey(t)
	s := newTokenStore(t, newPool(t), newKeyring(t, "k1", map[string][]byte{"k1": key}), table)
	if err := s.Save(context.Background(), uid, "", tok); err != nil {
		t.Fatal(err)
	}
	spec, _ := json.Marshal(tokenChildSpec{PGURL: pgURL(t), Table: table, KeyHex: hex.EncodeToString(key), UID: uid,
		ClientID: cfg.ClientID, Secret: cfg.ClientSecret, Redirect: cfg.RedirectURL, Env: srv.Environment(), Goroutines: 200})
	type child struct {
		cmd *exec.Cmd
		in  io.WriteCloser
		out *bufio.Reader
	}
	var children []child
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), tokenChildEnv+"="+string(spec))
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		children = append(children, child{cmd, in, bufio.NewReader(out)})
	}
	for _, c := range children {
		if line, _ := c.out.ReadString('\n'); strings.TrimSpace(line) != "ready" {
			t.Fatalf("child: %q", line)
		}
	}
	for _, c := range children {
		_, _ = io.WriteString(c.in, "go\n")
	}
	for i, c := range children {
		rest, _ := io.ReadAll(c.out)
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v: %s", i, err, rest)
		}
		if !strings.HasSuffix(strings.TrimSpace(string(rest)), "failed 0") {
			t.Fatalf("child %d: %s", i, rest)
		}
	}
	t.Logf("2 processes x 200 goroutines calling Me: all succeeded, %d refresh request(s) reached the fake, %d Me requests",
		len(refreshTokensSent(srv)), srv.Count("GET", "/v2/users/me"))
	checkRotation(t, srv, s, cfg, uid, tok)
}

// A refused refresh token gives *kyc.ReauthorizationRequiredError, and the row
// is left as it was.
func TestRefusedRefreshToken(t *testing.T) {
	srv, uid, tok := fakeUser(t)
	cfg := *srv.Config()
	s := newTokenStore(t, newPool(t), newKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)}), tableName("refused"))
	ctx := context.Background()
	if err := s.Save(ctx, uid, "", tok); err != nil {
		t.Fatal(err)
	}
	srv.RevokeUser(uid)
	ts, err := s.TokenSource(ctx, cfg, uid)
	if err != nil {
		t.Fatal(err)
	}
	var re *kyc.ReauthorizationRequiredError
	if _, err := ts.Token(); !errors.As(err, &re) {
		t.Fatalf("refused refresh: %v", err)
	}
	if st, err := s.Load(ctx, uid); err != nil || st.Version != 1 {
		t.Fatalf("row changed: %v %v", st, err)
	}
	if _, err := s.TokenSource(ctx, cfg, "nobody"); !errors.Is(err, pgstore.ErrNotFound) {
		t.Fatalf("source for a missing row: %v", err)
	}
}

// A 401 for a token that still looks valid (revoked at the server) makes
// the source refresh under the lock; the core then retries the call once.
func TestRefusedAccessTokenRefreshes(t *testing.T) {
	srv := fractalidtest.NewServer(t, fractalidtest.WithRefreshRevocation(fractalidtest.RevokeImmediately))
	u := srv.AddUser(fractalidtest.User{})
	tok, err := srv.IssueToken(u.ID())
	if err != nil {
		t.Fatal(err)
	}
	cfg := *srv.Config()
	s := newTokenStore(t, newPool(t), newKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)}), tableName("r401"))
	ctx := context.Background()
	if err := s.Save(ctx, u.ID(), "", tok); err != nil {
		t.Fatal(err)
	}
	srv.RevokeToken(tok.AccessToken) // revokes the pair: the refresh is refused too
	ts, err := s.TokenSource(ctx, cfg, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	c, err := fractalid.NewClient(ts, fractalid.WithEnvironment(srv.Environment()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(ctx)
	var re *kyc.ReauthorizationRequiredError
	if !errors.As(err, &re) {
		t.Fatalf("Me with a revoked pair: %v", err)
	}
	if n := len(refreshTokensSent(srv)); n != 1 {
		t.Fatalf("%d refresh requests after a 401, want 1", n)
	}
}

// While another process holds the user's row lock (it is refreshing), a
// source waits for it no longer than its context allows.
func TestLockWaitEndsWithContext(t *testing.T) {
	srv, uid, tok := fakeUser(t)
	cfg := *srv.Config()
	table := tableName("lockwait")
	pool := newPool(t)
	s := newTokenStore(t, pool, newKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)}), table)
	ctx := context.Background()
	if err := s.Save(ctx, uid, "", tok); err != nil {
		t.Fatal(err)
	}
	holder, err := newPool(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback(ctx) }()
	if _, err := holder.Exec(ctx, `SELECT 1 FROM `+table+` WHERE uid = $1 FOR UPDATE`, uid); err != nil {
		t.Fatal(err)
	}
	ts, err := s.TokenSource(ctx, cfg, uid)
	if err != nil {
		t.Fatal(err)
	}
	cs, ok := ts.(interface {
		TokenContext(context.Context) (*oauth2.Token, error)
	})
	if !ok {
		t.Fatal("the source has no TokenContext")
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := cs.TokenContext(wctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting on a held lock: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("waited %v", d)
	}
	if n := len(refreshTokensSent(srv)); n != 0 {
		t.Fatalf("%d refreshes without the lock", n)
	}
	// Once the holder is done, the source refreshes.
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	if n := len(refreshTokensSent(srv)); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
}
