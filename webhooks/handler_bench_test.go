package webhooks_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

// Benchmarks of the handler end to end over a loopback server, beside a
// minimal hand-written handler in the same file: read the body, check the
// HMAC with crypto/hmac, answer 200. Both are driven by the same client
// code with the same bodies, so the ratio of the two is the handler's
// overhead. Each also reports cpu-ns/op, the process's CPU time (client and
// server) per request, steadier than wall time on a loaded machine.
//
//	go test -run='^$' -bench='Handler' -benchmem -count=10 ./webhooks/

// benchHookBodies returns n distinct signed verification_approved bodies
// of about size bytes each (distinct timestamps, so that a deduplicator
// sees a new notification every time).
func benchHookBodies(n, size int) (bodies [][]byte, sigs []string) {
	for i := range n {
		head := fmt.Sprintf(`{"type":"verification_approved","data":{"level":"basic","user_id":"8c6a2e2f-4f0d-4d5b-9a3e-%012d","timestamp":"2024-04-02T13:%02d:%02dZ","pad":"`,
			i, (i/60)%60, i%60)
		pad := size - len(head) - len(`"}}`)
		b := append([]byte(head), bytes.Repeat([]byte("p"), pad)...)
		b = append(b, `"}}`...)
		bodies = append(bodies, b)
		sigs = append(sigs, webhooks.Sign(b, benchSecret))
	}
	return bodies, sigs
}

// rawHookHandler is the baseline: the least a correct receiver does.
func rawHookHandler(secret string) http.Handler {
	key := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, webhooks.DefaultMaxPayloadSize+1))
		if err != nil || len(body) > webhooks.DefaultMaxPayloadSize {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sig := r.Header.Get(webhooks.SignatureHeader)
		if !strings.HasPrefix(sig, webhooks.SignaturePrefix) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got, err := hex.DecodeString(sig[len(webhooks.SignaturePrefix):])
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		m := hmac.New(sha1.New, key)
		m.Write(body)
		if !hmac.Equal(got, m.Sum(nil)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func benchHookServer(b *testing.B, h http.Handler) {
	b.Helper()
	const n = 4096
	bodies, sigs := benchHookBodies(n, 1<<10)
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	hc := srv.Client()
	url := srv.URL + "/hook"
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, url, bytes.NewReader(bodies[i%n]))
		if err != nil {
			b.Fatal(err)
		}
		req.Header[webhooks.SignatureHeader] = []string{sigs[i%n]}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
		i++
	}
}

// BenchmarkHandler is NewHandler with the memory deduplicator on: every
// request is a new notification (the deduplicator holds fewer keys than
// there are bodies, so each key is gone before its body comes back).
func BenchmarkHandler(b *testing.B) {
	v, err := webhooks.NewVerifier(webhooks.WithDefaultSecrets(benchSecret))
	if err != nil {
		b.Fatal(err)
	}
	calls := 0
	h := webhooks.NewHandler(v, func(_ context.Context, ev *webhooks.Event) error {
		if ev.Verification == nil {
			return fmt.Errorf("no verification data")
		}
		calls++
		return nil
	}, webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(time.Hour, 1024)))
	benchHookServer(b, h)
	if calls == 0 {
		b.Fatal("the function was never called")
	}
}

// BenchmarkHandlerRaw is the baseline: rawHookHandler on the same server
// with the same client and bodies.
func BenchmarkHandlerRaw(b *testing.B) {
	benchHookServer(b, rawHookHandler(benchSecret))
}
