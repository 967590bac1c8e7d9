package pgstore_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kycgo/kyc/stores/pgstore"
	"github.com/kycgo/kyc/webhooks"
)

// stallProxy is a loopback TCP proxy to the database that can stop
// forwarding: once stalled, it keeps every connection open and drops
// what it reads, as a database host that stopped answering.
type stallProxy struct {
	ln      net.Listener
	target  string
	stalled atomic.Bool

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newStallProxy(tb testing.TB, target string) *stallProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.serve()
	tb.Cleanup(p.close)
	return p
}

func (p *stallProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

func (p *stallProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err == io.EOF && !p.stalled.Load() {
				_ = dst.(*net.TCPConn).CloseWrite()
			}
			return
		}
	}
}

func (p *stallProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// A webhook handler whose PostgreSQL stops answering after the claim
// returns at its dedup timeout, instead of waiting on Complete (and
// holding a pool connection) for as long as the database stays silent.
func TestHandlerReturnsWhenDatabaseStallsAfterClaim(t *testing.T) {
	ctx := context.Background()
	table := tableName("stall")
	newDedup(t, table) // creates the table over a direct connection

	cfg, err := pgxpool.ParseConfig(pgURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallProxy(t, net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))))
	cfg.ConnConfig.Host = "127.0.0.1"
	cfg.ConnConfig.Port = uint16(proxy.ln.Addr().(*net.TCPAddr).Port)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	// Registered after pool.Close, so it runs first: the connections the
	// stall left hanging end before the pool waits for them.
	t.Cleanup(proxy.close)
	d, err := pgstore.NewDeduplicator(pool, pgstore.WithDedupTable(table))
	if err != nil {
		t.Fatal(err)
	}

	const bound = time.Second
	v, err := webhooks.NewVerifier(webhooks.WithDefaultSecrets("s"))
	if err != nil {
		t.Fatal(err)
	}
	h := webhooks.NewHandler(v, func(context.Context, *webhooks.Event) error {
		proxy.stalled.Store(true) // the database stops answering
		return nil
	}, webhooks.WithDeduplicator(d), webhooks.WithDedupTimeout(bound))
	body := `{"type":"verification_approved","data":{"level":"basic","user_id":"u-stall","timestamp":"2020-04-02T13:35:35Z"}}`
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign([]byte(body), "s"))
	rec := httptest.NewRecorder()

	done := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		h.ServeHTTP(rec, req)
		done <- time.Since(start)
	}()
	// Generous: the bound is 1s; without it the handler never returns.
	const limit = 20 * time.Second
	select {
	case took := <-done:
		t.Logf("handler returned after %v with status %d (dedup timeout %v)", took, rec.Code, bound)
		if rec.Code != http.StatusOK {
			t.Errorf("status %d after the function succeeded, want 200", rec.Code)
		}
		if took < bound {
			t.Errorf("returned after %v, before the dedup timeout: did the stall happen?", took)
		}
	case <-time.After(limit):
		proxy.close() // unblocks the handler, so that the test ends
		<-done
		t.Fatalf("handler still waiting on the stalled database after %v (dedup timeout %v)", limit, bound)
	}
}
