package fakeserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kycgo/kyc/kyctest"
)

// counter is a tiny stateful fake: POST /items adds one, GET /items reads.
type counter struct{ n atomic.Int64 }

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/items":
		_, _ = io.Copy(io.Discard, r.Body)
		WriteJSON(w, http.StatusCreated, map[string]int64{"n": c.n.Add(1)})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/items"):
		WriteJSON(w, http.StatusOK, map[string]any{"n": c.n.Load(), "pad": strings.Repeat("x", 100)})
	default:
		WriteJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	}
}

func newCounter(t *testing.T, opts ...Option) (*Server, *counter) {
	t.Helper()
	c := &counter{}
	return New(t, c, opts...), c
}

// freshClient never reuses connections, so net/http does not transparently
// retry a request that failed on a reused keep-alive connection.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func post(t *testing.T, hc *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return hc.Do(req)
}

func get(t *testing.T, hc *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return hc.Do(req)
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b
}

func TestNormalRequestAndLog(t *testing.T) {
	t.Parallel()
	s, c := newCounter(t)
	resp, err := post(t, s.Client(), s.URL()+"/items?x=1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	readAll(t, resp)
	if c.n.Load() != 1 {
		t.Fatalf("handler ran %d times", c.n.Load())
	}
	log := s.Requests()
	if len(log) != 1 {
		t.Fatalf("log has %d entries", len(log))
	}
	r := log[0]
	if r.Method != "POST" || r.Path != "/items" || r.RawQuery != "x=1" || string(r.Body) != `{"a":1}` || r.Status != 201 || r.Fault != kyctest.FaultNone || r.HasAuth {
		t.Fatalf("log entry %+v", r)
	}
	if got := r.String(); got != "POST /items -> 201" {
		t.Fatalf("String() = %q", got)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault kyctest.Fault
		// check inspects what a plain client sees; ran is whether the
		// fake's handler ran (state changed).
		check   func(t *testing.T, resp *http.Response, err error)
		ran     bool
		logCode int
	}{
		{
			name:  "status 503 with Retry-After and body",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, RetryAfter: "2", Body: `{"error":"busy"}`},
			check: func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				b := readAll(t, resp)
				if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" || string(b) != `{"error":"busy"}` || resp.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("got %d %q %q %q", resp.StatusCode, resp.Header.Get("Retry-After"), b, resp.Header.Get("Content-Type"))
				}
			},
			logCode: 503,
		},
		{
			name:  "status defaults to 503 with empty body",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus},
			check: func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				b := readAll(t, resp)
				if resp.StatusCode != 503 || len(b) != 0 || resp.Header.Get("Retry-After") != "" {
					t.Fatalf("got %d %q", resp.StatusCode, b)
				}
			},
			logCode: 503,
		},
		{
			name:  "HTML error page",
			fault: kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 504},
			check: func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				b := readAll(t, resp)
				if resp.StatusCode != 504 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(b, []byte("<h1>504 Gateway Timeout</h1>")) {
					t.Fatalf("got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
				}
			},
			logCode: 504,
		},
		{
			name:  "hang shorter than the client's patience, then the real reply",
			fault: kyctest.Fault{Kind: kyctest.FaultHang, Delay: 20 * time.Millisecond},
			check: func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				readAll(t, resp)
				if resp.StatusCode != 201 {
					t.Fatalf("status %d", resp.StatusCode)
				}
			},
			ran:     true,
			logCode: 201,
		},
		{
			name:  "reset before read",
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead},
			check: func(t *testing.T, resp *http.Response, err error) {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got a reply %d", resp.StatusCode)
				}
				if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
					t.Fatalf("error %v is neither a reset nor EOF", err)
				}
			},
		},
		{
			name:  "reset after read: the handler ran, the reply is lost",
			fault: kyctest.Fault{Kind: kyctest.FaultResetAfterRead},
			check: func(t *testing.T, resp *http.Response, err error) {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got a reply %d", resp.StatusCode)
				}
				if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
					t.Fatalf("error %v is neither a reset nor EOF", err)
				}
			},
			ran:     true,
			logCode: 201,
		},
		{
			name:  "truncated body",
			fault: kyctest.Fault{Kind: kyctest.FaultTruncate},
			check: func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("read error %v, want unexpected EOF", err)
				}
				if resp.StatusCode != 201 || resp.ContentLength <= int64(len(b)) || json.Valid(b) {
					t.Fatalf("status %d, content-length %d, got %d bytes %q", resp.StatusCode, resp.ContentLength, len(b), b)
				}
			},
			ran:     true,
			logCode: 201,
		},
		{
			name:  "oversize body, exact size, valid JSON",
			fault: kyctest.Fault{Kind: kyctest.FaultOversize, Size: 1000},
			check: func(t *testing.T, resp *http.Response, err error) {
				if err != nil {
					t.Fatal(err)
				}
				b := readAll(t, resp)
				if resp.StatusCode != 200 || len(b) != 1000 || resp.ContentLength != 1000 || !json.Valid(b) {
					t.Fatalf("status %d, %d bytes, valid %v", resp.StatusCode, len(b), json.Valid(b))
				}
				var items []map[string]string
				if err := json.Unmarshal(b, &items); err != nil || len(items) < 50 || items[0]["id"] != "oversize" {
					t.Fatalf("decoded %d items: %v", len(items), err)
				}
			},
			logCode: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := newCounter(t)
			s.InjectFault("POST", "/items", tt.fault)
			resp, err := post(t, freshClient(), s.URL()+"/items")
			tt.check(t, resp, err)
			if got := c.n.Load() == 1; got != tt.ran {
				t.Fatalf("handler ran: %v, want %v", got, tt.ran)
			}
			log := s.Requests()
			if len(log) != 1 || log[0].Fault != tt.fault.Kind || log[0].Status != tt.logCode {
				t.Fatalf("log %v, want one %s entry with status %d", log, tt.fault.Kind, tt.logCode)
			}
			// The fault is consumed: the next request is served normally.
			resp, err = post(t, freshClient(), s.URL()+"/items")
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if resp.StatusCode != 201 || s.PendingFaults() != 0 {
				t.Fatalf("after the fault: status %d, pending %d", resp.StatusCode, s.PendingFaults())
			}
		})
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	t.Parallel()
	s, c := newCounter(t)
	s.InjectFault("POST", "/items", kyctest.Fault{Kind: kyctest.FaultHang})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/items", strings.NewReader("{}"))
	_, err := freshClient().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want deadline exceeded", err)
	}
	// Close waits for the hung handler, which must not run the fake's handler.
	s.Close()
	if c.n.Load() != 0 {
		t.Fatal("the handler ran for a request the client gave up on")
	}
	if s.Count("POST", "/items") != 1 {
		t.Fatal("the hung request is not in the log")
	}
}

func TestCloseReleasesHang(t *testing.T) {
	t.Parallel()
	s, _ := newCounter(t)
	s.InjectFault("", "/items", kyctest.Fault{Kind: kyctest.FaultHang, Delay: time.Hour})
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL()+"/items", nil)
		resp, err := freshClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for s.Count("GET", "/items") == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	s.Close()
	if err := <-errc; err == nil {
		t.Fatal("the client got a reply from a hung request")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v", d)
	}
}

func TestOversizeDefaultStreams(t *testing.T) {
	t.Parallel()
	s, _ := newCounter(t)
	s.InjectFault("GET", "/items", kyctest.Fault{Kind: kyctest.FaultOversize})
	resp, err := get(t, s.Client(), s.URL()+"/items")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != kyctest.DefaultOversize || resp.ContentLength != kyctest.DefaultOversize {
		t.Fatalf("read %d bytes (content-length %d): %v", n, resp.ContentLength, err)
	}
}

func TestFaultMatching(t *testing.T) {
	t.Parallel()
	s, c := newCounter(t)
	hc := freshClient()
	// FIFO: the 429 (twice) before the 500, prefix match, method filter.
	s.InjectFault("GET", "/items/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, Times: 2})
	s.InjectFault("", "/items/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500})
	s.InjectFault("DELETE", "/items", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 418})
	if s.PendingFaults() != 4 {
		t.Fatalf("pending %d", s.PendingFaults())
	}
	var got []int
	for range 4 {
		resp, err := get(t, hc, s.URL()+"/items/abc")
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		got = append(got, resp.StatusCode)
	}
	if want := []int{429, 429, 500, 200}; !equalInts(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	// "/items/*" does not match "/items"; the DELETE fault does not match POST.
	resp, err := post(t, hc, s.URL()+"/items")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != 201 || c.n.Load() != 1 || s.PendingFaults() != 1 {
		t.Fatalf("status %d, n %d, pending %d", resp.StatusCode, c.n.Load(), s.PendingFaults())
	}
	s.ClearFaults()
	if s.PendingFaults() != 0 {
		t.Fatal("ClearFaults left faults")
	}
	if n := s.Count("GET", "/items/*"); n != 4 {
		t.Fatalf("Count(GET, /items/*) = %d", n)
	}
	if n := s.Count("", "*"); n != 5 {
		t.Fatalf("Count(\"\", *) = %d", n)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestInjectFaultRejectsBadFaults(t *testing.T) {
	t.Parallel()
	s, _ := newCounter(t)
	for _, f := range []kyctest.Fault{{}, {Kind: kyctest.FaultOversize + 1}, {Kind: kyctest.FaultStatus, Times: -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("InjectFault(%v) did not panic", f)
				}
			}()
			s.InjectFault("", "/", f)
		}()
	}
}

func TestRequestLogRedactsAndCaps(t *testing.T) {
	t.Parallel()
	s, _ := newCounter(t)
	big := bytes.Repeat([]byte("a"), 100<<10)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL()+"/items", bytes.NewReader(big))
	req.Header.Set("Authorization", "Bearer secret-token-value")
	req.Header.Set("Cookie", "sid=secret-cookie")
	req.Header.Set("X-Trace", "t1")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	r := s.Requests()[0]
	if !r.HasAuth || r.Header.Get("Authorization") != "[redacted]" || r.Header.Get("Cookie") != "[redacted]" || r.Header.Get("X-Trace") != "t1" {
		t.Fatalf("headers %v, has auth %v", r.Header, r.HasAuth)
	}
	if len(r.Body) != 64<<10 {
		t.Fatalf("logged body of %d bytes", len(r.Body))
	}
	// Requests returns copies.
	r.Body[0] = 'b'
	r.Header.Set("X-Trace", "changed")
	if again := s.Requests()[0]; again.Body[0] != 'a' || again.Header.Get("X-Trace") != "t1" {
		t.Fatal("Requests exposes the log's own memory")
	}
	s.ResetLog()
	if len(s.Requests()) != 0 || s.Count("", "*") != 0 {
		t.Fatal("ResetLog left entries")
	}
}

func TestConnectionCount(t *testing.T) {
	t.Parallel()
	s, _ := newCounter(t)
	for range 3 {
		resp, err := get(t, s.Client(), s.URL()+"/items")
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	if n := s.ConnectionCount(); n != 1 {
		t.Fatalf("keep-alive client opened %d connections", n)
	}
	for range 3 {
		resp, err := get(t, freshClient(), s.URL()+"/items")
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	if n := s.ConnectionCount(); n != 4 {
		t.Fatalf("connections %d, want 4", n)
	}
}

func TestConcurrentRequestsAndFaults(t *testing.T) {
	t.Parallel()
	s, c := newCounter(t)
	s.InjectFault("POST", "/items", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 10})
	var wg sync.WaitGroup
	var failed, ok atomic.Int64
	hc := s.Client()
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := post(t, hc, s.URL()+"/items")
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case 503:
				failed.Add(1)
			case 201:
				ok.Add(1)
			}
			_ = s.Requests()
			_ = s.Count("POST", "/items")
		}()
	}
	wg.Wait()
	if failed.Load() != 10 || ok.Load() != 40 || c.n.Load() != 40 || s.Count("POST", "/items") != 50 {
		t.Fatalf("failed %d ok %d handler %d logged %d", failed.Load(), ok.Load(), c.n.Load(), s.Count("POST", "/items"))
	}
	faulted := 0
	for _, r := range s.Requests() {
		if r.Fault == kyctest.FaultStatus {
			faulted++
		}
	}
	if faulted != 10 {
		t.Fatalf("%d requests logged as faulted", faulted)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s, _ := newCounter(t, WithTLS())
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL())
	}
	s.InjectFault("POST", "/items", kyctest.Fault{Kind: kyctest.FaultResetAfterRead})
	_, err := post(t, s.Client(), s.URL()+"/items")
	if err == nil {
		t.Fatal("reset over TLS gave a reply")
	}
	resp, err := get(t, s.Client(), s.URL()+"/items")
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ N int64 }
	if err := json.Unmarshal(readAll(t, resp), &body); err != nil || body.N != 1 {
		t.Fatalf("n = %d (%v)", body.N, err)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	ft := &fatalRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		New(ft, &counter{}, WithClock(nil))
	}()
	if !ft.failed {
		t.Fatal("WithClock(nil) accepted")
	}
}

// fatalRecorder records Fatal instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Fatal(args ...any) {
	f.failed = true
	panic("fatal")
}

func (f *fatalRecorder) Helper() {}

func TestClockAndLogTime(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := kyctest.NewClock(start)
	s, _ := newCounter(t, WithClock(clk.Now))
	clk.Advance(time.Minute)
	resp, err := get(t, s.Client(), s.URL()+"/items")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if got := s.Requests()[0].Time; !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("logged time %v", got)
	}
	if !s.Now().Equal(start.Add(time.Minute)) {
		t.Fatal("Now does not follow the clock")
	}
	clk.Set(start)
	if !clk.Now().Equal(start) {
		t.Fatal("Set")
	}
}

func TestFaultKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[kyctest.FaultKind]string{kyctest.FaultNone: "none", kyctest.FaultResetAfterRead: "reset-after-read", kyctest.FaultOversize: "oversize", 99: "FaultKind(99)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestOversizeExactSizes(t *testing.T) {
	t.Parallel()
	s, _ := newCounter(t)
	for _, size := range []int64{1, 2, 3, 18, 19, 20, 21, 37, 38, 39, 1000, 32<<10 - 1, 32 << 10, 32<<10 + 1, 100_003} {
		for _, elem := range []string{"", `"x"`, `{"id":"a","sessions":{}}`} {
			s.InjectFault("GET", "/items", kyctest.Fault{Kind: kyctest.FaultOversize, Size: size, Body: elem})
			resp, err := get(t, s.Client(), s.URL()+"/items")
			if err != nil {
				t.Fatal(err)
			}
			b := readAll(t, resp)
			if int64(len(b)) != size {
				t.Fatalf("size %d elem %q: got %d bytes", size, elem, len(b))
			}
			if size >= 2 && !json.Valid(b) {
				t.Fatalf("size %d elem %q: invalid JSON %q", size, elem, b[max(0, len(b)-40):])
			}
		}
	}
}
