package webhooks_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

// trickle writes a signed POST of body to addr over a raw TCP connection:
// the headers at once, then chunk bytes of the body every interval. It
// returns the response and when it arrived.
func trickle(t *testing.T, addr, body string, chunk int, interval time.Duration) (*http.Response, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	head := fmt.Sprintf("POST /hook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s: %s\r\n\r\n",
		addr, len(body), webhooks.SignatureHeader, webhooks.Sign([]byte(body), hookSecret))
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for rest := body; rest != ""; {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			n := min(chunk, len(rest))
			if _, err := io.WriteString(conn, rest[:n]); err != nil {
				return // the server hung up, as it should
			}
			rest = rest[n:]
		}
	}()
	defer func() { close(stop); <-writerDone }()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	elapsed := time.Since(start)
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res, elapsed
}

// TestHandlerTrickledBody sends a body a few bytes every 100 ms over a
// real TCP connection to an http.Server with no timeouts of its own: the
// handler answers 408 once its read timeout has passed, without calling
// the function or touching the deduplicator.
func TestHandlerTrickledBody(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	var rec recorder
	const readTimeout = 400 * time.Millisecond
	h := webhooks.NewHandler(v, rec.fn, webhooks.WithReadTimeout(readTimeout),
		webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(0, 0)))
	srv := httptest.NewServer(h)
	defer srv.Close()

	// The whole body would take len(docApproved)/3 * 100 ms, about 5 s.
	res, elapsed := trickle(t, srv.Listener.Addr().String(), docApproved, 3, 100*time.Millisecond)
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", res.StatusCode)
	}
	if elapsed < readTimeout || elapsed > readTimeout+time.Second {
		t.Errorf("answered after %v, want shortly after the %v read timeout", elapsed, readTimeout)
	}
	if !res.Close {
		t.Errorf("a 408 keeps the connection open")
	}
	if n := rec.calls.Load(); n != 0 {
		t.Errorf("function called %d times for a body never received", n)
	}

	// The same notification sent properly is processed: the deduplicator
	// holds nothing for the refused one.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hook", strings.NewReader(docApproved))
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign([]byte(docApproved), hookSecret))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || rec.calls.Load() != 1 {
		t.Errorf("retry after 408: status %d, calls %d", resp.StatusCode, rec.calls.Load())
	}
	srv.Client().CloseIdleConnections()
}

// TestHandlerReadDeadlineClearedForFunction checks that the read deadline
// set for the body does not cancel the function's context when the
// function runs longer than the read timeout.
func TestHandlerReadDeadlineClearedForFunction(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
	const readTimeout = 100 * time.Millisecond
	h := webhooks.NewHandler(v, func(ctx context.Context, _ *webhooks.Event) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(3 * readTimeout):
			return nil
		}
	}, webhooks.WithReadTimeout(readTimeout))
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hook", strings.NewReader(docApproved))
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign([]byte(docApproved), hookSecret))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d: the function's context was cancelled by the body's read deadline", resp.StatusCode)
	}
	srv.Client().CloseIdleConnections()
}

// slowBody yields chunk bytes of s, sleeping interval before each read.
type slowBody struct {
	s        string
	chunk    int
	interval time.Duration
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.s == "" {
		return 0, io.EOF
	}
	time.Sleep(b.interval)
	n := copy(p[:min(len(p), b.chunk)], b.s)
	b.s = b.s[n:]
	return n, nil
}

// TestHandlerReadTimeoutWithoutDeadlineSupport: a ResponseWriter that
// cannot set deadlines (httptest.ResponseRecorder) still gets the bound,
// checked between reads.
func TestHandlerReadTimeoutWithoutDeadlineSupport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := mustVerifier(t, webhooks.WithDefaultSecrets(hookSecret))
		var rec recorder
		h := webhooks.NewHandler(v, rec.fn, webhooks.WithReadTimeout(time.Second))
		req := signedRequest(http.MethodPost, docApproved, hookSecret)
		req.Body = io.NopCloser(&slowBody{s: docApproved, chunk: 3, interval: 100 * time.Millisecond})
		start := time.Now()
		res := serve(h, req)
		if res.Code != http.StatusRequestTimeout || res.Body.String() != `{"error":"request_timeout"}` {
			t.Errorf("got %d %s, want 408", res.Code, res.Body)
		}
		if d := time.Since(start); d > time.Second+100*time.Millisecond {
			t.Errorf("answered after %v", d)
		}
		if rec.calls.Load() != 0 {
			t.Errorf("function called")
		}

		// The default leaves a normal body alone, and a body arriving in
		// chunks within the bound is accepted.
		req = signedRequest(http.MethodPost, docApproved, hookSecret)
		req.Body = io.NopCloser(&slowBody{s: docApproved, chunk: 64, interval: 100 * time.Millisecond})
		if res := serve(webhooks.NewHandler(v, rec.fn), req); res.Code != http.StatusOK {
			t.Errorf("chunked body within the default read timeout: %d", res.Code)
		}
	})
}
