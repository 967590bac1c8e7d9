package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/internal/testserver"
	"github.com/kycgo/kyc/stores/pgstore"
)

// With -postgres the app keeps the user's token at sign-in, encrypted,
// under Fractal's uid: a later reader (another replica, the webhook
// receiver) reads the user again with it.
func TestPostgresKeepsTokens(t *testing.T) {
	pg, err := testserver.StartPostgres()
	testserver.Check(t, err)
	t.Cleanup(func() { _ = pg.Stop() })
	ctx := context.Background()
	key := make([]byte, pgstore.KeySize)
	_, _ = rand.Read(key)
	env := map[string]string{envTokenKeys: "k1:" + base64.StdEncoding.EncodeToString(key)}
	tokens, closePool, err := openTokenStore(ctx, pg.URL(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closePool)

	e := newTestEnv(t)
	e.app.tokens = tokens
	u := e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})
	if p := e.signIn(); p.status != http.StatusOK || !strings.Contains(p.text(), "approved") {
		t.Fatalf("status page %d:\n%s", p.status, p.text())
	}
	st, err := tokens.Load(ctx, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tokens.TokenSource(ctx, e.app.cfg, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	c, err := fractalid.NewClient(ts, fractalid.WithEnvironment(e.fake.Environment()))
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(ctx)
	if err != nil || me.UID != u.ID() || !me.IsApproved(fractalid.ParseLevel("basic+liveness")) {
		t.Fatalf("re-read with the stored token: %v, %v", me, err)
	}
	// The row holds no token in clear.
	pool, err := pgxpool.New(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var row string
	if err := pool.QueryRow(ctx, `SELECT t::text FROM `+pgstore.DefaultTokenTable+` t WHERE uid = $1`, u.ID()).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row, st.Token.AccessToken) || strings.Contains(row, st.Token.RefreshToken) {
		t.Fatal("the row holds a token in clear")
	}
}

func TestPostgresFlagNeedsKeys(t *testing.T) {
	ctx := context.Background()
	if _, _, err := openTokenStore(ctx, "postgres://127.0.0.1:1/x", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), envTokenKeys) {
		t.Fatalf("no keys: %v", err)
	}
	_, _, err := openTokenStore(ctx, "postgres://127.0.0.1:1/x", func(string) string { return "k1:c2hvcnQ=" })
	if !errors.Is(err, kyc.ErrInvalidArgument) || strings.Contains(err.Error(), "c2hvcnQ") {
		t.Fatalf("bad keys: %v", err)
	}
}
