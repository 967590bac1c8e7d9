package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/internal/testserver"
	"github.com/kycgo/kyc/stores/pgstore"
	"github.com/kycgo/kyc/webhooks"
)

func deliver(t *testing.T, h http.Handler, body string) int {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/fractal", strings.NewReader(body))
	r.Header.Set(webhooks.SignatureHeader, webhooks.Sign([]byte(body), "test-secret"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// Two receivers started with the same -redis URL process a notification
// delivered to both once.
func TestRedisSharedBetweenReplicas(t *testing.T) {
	srv, err := testserver.StartRedis()
	testserver.Check(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	var mu sync.Mutex
	seen := 0
	count := func(*webhooks.Event) { mu.Lock(); seen++; mu.Unlock() }
	logger := slog.New(slog.DiscardHandler)
	var handlers []http.Handler
	for range 2 {
		st, err := openStores(context.Background(), srv.URL(), "", func(string) string { return "" }, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.close)
		h, err := newHandler("test-secret", logger, count, st)
		if err != nil {
			t.Fatal(err)
		}
		handlers = append(handlers, h)
	}
	for _, h := range append(handlers, handlers...) {
		if code := deliver(t, h, TestEvent); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	if seen != 1 {
		t.Fatalf("processed %d times across two replicas, want 1", seen)
	}
}

func TestStoreFlagsAreChecked(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	none := func(string) string { return "" }
	for name, f := range map[string]func() error{
		"both":      func() error { _, err := openStores(ctx, "redis://x", "postgres://x", none, logger); return err },
		"bad redis": func() error { _, err := openStores(ctx, "http://x", "", none, logger); return err },
		"bad pg":    func() error { _, err := openStores(ctx, "", "::nonsense", none, logger); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	st, err := openStores(ctx, "", "", none, logger)
	if err != nil || st.dedup == nil || st.users != nil {
		t.Fatalf("default stores: %v %v", st, err)
	}
}

// With -postgres the handler re-reads /v2/users/me for the notification's
// user with the token stored in the database, once per notification.
func TestPostgresRereadsUser(t *testing.T) {
	pg, err := testserver.StartPostgres()
	testserver.Check(t, err)
	t.Cleanup(func() { _ = pg.Stop() })
	ctx := context.Background()
	var logs bytes.Buffer
	var lmu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedBuffer{b: &logs, mu: &lmu}, nil))
	key := make([]byte, pgstore.KeySize)
	_, _ = rand.Read(key)
	keySpec := "k1:" + base64.StdEncoding.EncodeToString(key)

	// The receiver, with the Fractal settings from its environment.
	fake := fractalidtest.NewServer(t)
	app := fake.DefaultClient()
	env := map[string]string{envClientID: app.ID, envClientSecret: app.Secret, envTokenKeys: keySpec}
	st, err := openStores(ctx, "", pg.URL(), func(k string) string { return env[k] }, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.close)
	if st.users == nil || st.users.cfg.Environment.Name != "staging" {
		t.Fatal("-postgres with the Fractal settings did not set up the re-read")
	}
	// Point it at the fake instead of staging.
	pool, err := pgxpool.New(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	keys, _ := pgstore.ParseKeyring(keySpec)
	st.users, err = newUserRereaderWith(ctx, pool, keys, *fake.Config(), logger)
	if err != nil {
		t.Fatal(err)
	}

	// What examples/webapp -postgres does at sign-in: store the token.
	u := fake.AddUser(fractalidtest.User{})
	if err := u.SetCase("basic", fractalidtest.Approved); err != nil {
		t.Fatal(err)
	}
	tok, err := fake.IssueToken(u.ID(), fractalid.ScopeBasic)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.users.tokens.Save(ctx, u.ID(), "app-user-7", tok); err != nil {
		t.Fatal(err)
	}

	h, err := newHandler("test-secret", logger, nil, st)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"type":"verification_approved","data":{"level":"basic","user_id":%q,"timestamp":"2020-04-02T13:35:35Z"}}`, u.ID())
	for range 3 {
		if code := deliver(t, h, body); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	if n := fake.Count("GET", "/v2/users/me"); n != 1 {
		t.Fatalf("%d re-reads for one notification delivered 3 times, want 1", n)
	}
	// A user without a stored token is skipped, not retried forever.
	if code := deliver(t, h, TestEvent); code != http.StatusOK {
		t.Fatalf("unknown user: status %d", code)
	}
	lmu.Lock()
	out := logs.String()
	lmu.Unlock()
	if !strings.Contains(out, "user re-read") || !strings.Contains(out, "approved=true") || !strings.Contains(out, "no stored token") {
		t.Fatalf("logs:\n%s", out)
	}
	if strings.Contains(out, tok.AccessToken) || strings.Contains(out, tok.RefreshToken) || strings.Contains(out, app.Secret) {
		t.Fatalf("a secret reached the logs:\n%s", out)
	}
}

// With -postgres the receiver deletes expired deduplication rows at start
// and on every tick, and leaves the others.
func TestPostgresPrunesExpiredRows(t *testing.T) {
	pg, err := testserver.StartPostgres()
	testserver.Check(t, err)
	t.Cleanup(func() { _ = pg.Stop() })
	ctx := context.Background()
	var logs bytes.Buffer
	var lmu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedBuffer{b: &logs, mu: &lmu}, nil))
	st, err := openStores(ctx, "", pg.URL(), func(string) string { return "" }, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.close)
	if st.pruner == nil {
		t.Fatal("-postgres set up no pruning")
	}
	pool, err := pgxpool.New(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	insert := func(key, expires string) {
		t.Helper()
		if _, err := pool.Exec(ctx, `INSERT INTO `+pgstore.DefaultDedupTable+` (key, state, claim, expires_at)
VALUES ($1, 'done', '', now() + $2::interval)`, key, expires); err != nil {
			t.Fatal(err)
		}
	}
	keys := func() map[string]bool {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT key FROM `+pgstore.DefaultDedupTable)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]bool{}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			got[k] = true
		}
		return got
	}
	// waitGone polls (the test's interval is short) until key is gone.
	waitGone := func(key string) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); keys()[key]; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("expired row %q still there after 15s", key)
			}
		}
	}
	insert("expired-before-start", "-1 second")
	insert("live", "1 hour")

	pctx, stop := context.WithCancel(ctx)
	wait := st.startPruning(pctx, 50*time.Millisecond, logger)
	t.Cleanup(func() { stop(); wait() }) // before st.close, also on failure
	waitGone("expired-before-start")
	insert("expired-later", "-1 second") // only a later tick deletes it
	waitGone("expired-later")
	stop()
	wait()
	if !keys()["live"] {
		t.Fatal("pruning deleted a row that had not expired")
	}
	lmu.Lock()
	out := logs.String()
	lmu.Unlock()
	if !strings.Contains(out, "pruned the deduplication table") {
		t.Fatalf("logs:\n%s", out)
	}
}

// failingPruner fails every Prune and counts the calls.
type failingPruner struct{ calls atomic.Int32 }

func (f *failingPruner) Prune(context.Context) (int64, error) {
	f.calls.Add(1)
	return 0, errors.New("connection refused")
}

// A failing Prune is logged and tried again at the next tick; the pruning
// stops when its context ends.
func TestPruneFailuresAreLoggedAndRetried(t *testing.T) {
	var logs bytes.Buffer
	var lmu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedBuffer{b: &logs, mu: &lmu}, nil))
	fp := &failingPruner{}
	st := &stores{dedup: webhooks.NewMemoryDeduplicator(0, 0), pruner: fp}
	ctx, stop := context.WithCancel(context.Background())
	wait := st.startPruning(ctx, time.Millisecond, logger)
	t.Cleanup(func() { stop(); wait() })
	for deadline := time.Now().Add(15 * time.Second); fp.calls.Load() < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d Prune calls after 15s, want 3", fp.calls.Load())
		}
	}
	stop()
	wait()
	lmu.Lock()
	out := logs.String()
	lmu.Unlock()
	if n := strings.Count(out, "pruning the deduplication table failed"); n < 2 {
		t.Fatalf("%d failures logged, want at least 2:\n%s", n, out)
	}
	// Without a pruner (Redis, memory) nothing runs.
	(&stores{}).startPruning(context.Background(), time.Millisecond, logger)()
}

type lockedBuffer struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
