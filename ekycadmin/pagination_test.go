package ekycadmin_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/option"
)

// pager serves n users, paged by start and limit, through httpmock.
type pager struct {
	n          int
	ignoreFrom int  // when > 0, pages from this offset on ignore start (a buggy server)
	failAt     int  // when >= 0, the page at this offset answers 500
	overfill   bool // answer limit+1 items
	mu         sync.Mutex
	queries    []queryPair // start/limit of each request, in order
}

func (p *pager) seen() []queryPair {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]queryPair(nil), p.queries...)
}

type queryPair struct{ start, limit string }

func (p *pager) responder(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	p.mu.Lock()
	p.queries = append(p.queries, queryPair{q.Get("start"), q.Get("limit")})
	p.mu.Unlock()
	start, _ := strconv.Atoi(q.Get("start"))
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil {
		limit = ekycadmin.DefaultPageSize
	}
	if p.failAt >= 0 && start == p.failAt {
		return httpmock.NewStringResponse(500, `{"error":"RethinkDBException","message":"x","path":"/ekyc/admin","timestamp":"t"}`), nil
	}
	if p.ignoreFrom > 0 && start >= p.ignoreFrom {
		start = p.ignoreFrom - limit
	}
	end := min(start+limit, p.n)
	if p.overfill {
		end = start + limit + 1
	}
	var page []map[string]any
	for i := start; i < end; i++ {
		page = append(page, map[string]any{"id": fmt.Sprintf("user-%06d", i),
			"sessions": map[string]any{"k": map[string]any{"id": fmt.Sprintf("s-%d", i), "status": "created"}}})
	}
	if page == nil {
		page = []map[string]any{}
	}
	return httpmock.NewJsonResponse(200, page)
}

func newPagerClient(t *testing.T, p *pager) *ekycadmin.Client {
	t.Helper()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin", p.responder)
	return c
}

func TestAllSessions(t *testing.T) {
	tests := []struct {
		name        string
		p           *pager
		opts        *ekycadmin.ListOptions
		breakAfter  int // stop consuming after this many items (0: never)
		wantItems   int
		wantQueries []queryPair
		wantErr     error
		wantFirst   string
	}{
		{name: "empty first page", p: &pager{n: 0, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 0, wantQueries: []queryPair{{"0", "3"}}},
		{name: "one short page", p: &pager{n: 2, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 2, wantQueries: []queryPair{{"0", "3"}}},
		{name: "exact multiple of the page size", p: &pager{n: 6, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 6, wantQueries: []queryPair{{"0", "3"}, {"3", "3"}, {"6", "3"}}},
		{name: "short last page", p: &pager{n: 7, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 7, wantQueries: []queryPair{{"0", "3"}, {"3", "3"}, {"6", "3"}}},
		{name: "default page size", p: &pager{n: 5, failAt: -1}, opts: nil,
			wantItems: 5, wantQueries: []queryPair{{"0", "1024"}}},
		{name: "start offset", p: &pager{n: 7, failAt: -1}, opts: &ekycadmin.ListOptions{Start: 2, Limit: 3},
			wantItems: 5, wantQueries: []queryPair{{"2", "3"}, {"5", "3"}}, wantFirst: "user-000002"},
		{name: "repeated page", p: &pager{n: 100, ignoreFrom: 3, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 3, wantQueries: []queryPair{{"0", "3"}, {"3", "3"}}, wantErr: ekycadmin.ErrRepeatedPage},
		{name: "repeated page later", p: &pager{n: 100, ignoreFrom: 6, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 6, wantQueries: []queryPair{{"0", "3"}, {"3", "3"}, {"6", "3"}}, wantErr: ekycadmin.ErrRepeatedPage},
		{name: "error mid-way", p: &pager{n: 100, failAt: 3}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 3, wantQueries: []queryPair{{"0", "3"}, {"3", "3"}}, wantErr: kyc.ErrServer},
		{name: "error on first page", p: &pager{n: 100, failAt: 0}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 0, wantQueries: []queryPair{{"0", "3"}}, wantErr: kyc.ErrServer},
		{name: "page longer than the limit", p: &pager{n: 100, overfill: true, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3},
			wantItems: 0, wantQueries: []queryPair{{"0", "3"}}, wantErr: ekycadmin.ErrPagination},
		{name: "early break inside a page", p: &pager{n: 100, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3}, breakAfter: 2,
			wantItems: 2, wantQueries: []queryPair{{"0", "3"}}},
		{name: "early break at a page boundary", p: &pager{n: 100, failAt: -1}, opts: &ekycadmin.ListOptions{Limit: 3}, breakAfter: 4,
			wantItems: 4, wantQueries: []queryPair{{"0", "3"}, {"3", "3"}}},
		{name: "invalid options", p: &pager{n: 100, failAt: -1}, opts: &ekycadmin.ListOptions{Start: -3},
			wantItems: 0, wantQueries: nil, wantErr: kyc.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before ekycadmin.ListOptions
			if tt.opts != nil {
				before = *tt.opts
			}
			c := newPagerClient(t, tt.p)
			items, errs := 0, 0
			var gotErr error
			first := ""
			for us, err := range c.AllSessions(t.Context(), tt.opts) {
				if err != nil {
					errs++
					gotErr = err
					if us.UserID != "" {
						t.Error("item yielded with an error")
					}
					continue // the sequence must end by itself
				}
				if items == 0 {
					first = us.UserID
				}
				if us.Sessions["k"].Status != ekycadmin.StatusCreated {
					t.Errorf("item %v not decoded", us)
				}
				items++
				if tt.breakAfter > 0 && items == tt.breakAfter {
					break
				}
			}
			if items != tt.wantItems {
				t.Errorf("items = %d, want %d", items, tt.wantItems)
			}
			if fmt.Sprint(tt.p.seen()) != fmt.Sprint(tt.wantQueries) {
				t.Errorf("queries = %v, want %v", tt.p.seen(), tt.wantQueries)
			}
			if tt.wantErr == nil && gotErr != nil {
				t.Errorf("error %v", gotErr)
			}
			if tt.wantErr != nil && (errs != 1 || !errors.Is(gotErr, tt.wantErr)) {
				t.Errorf("%d errors, last %v; want one matching %v", errs, gotErr, tt.wantErr)
			}
			if tt.wantFirst != "" && first != tt.wantFirst {
				t.Errorf("first = %q, want %q", first, tt.wantFirst)
			}
			if tt.opts != nil && *tt.opts != before {
				t.Errorf("options modified: %+v", *tt.opts)
			}
		})
	}
}

func TestAllSessionsPaginationErrorType(t *testing.T) {
	p := &pager{n: 100, ignoreFrom: 3, failAt: -1}
	c := newPagerClient(t, p)
	var perr *ekycadmin.PaginationError
	for _, err := range c.AllSessions(t.Context(), &ekycadmin.ListOptions{Limit: 3}) {
		if err != nil && !errors.As(err, &perr) {
			t.Fatalf("error %T", err)
		}
	}
	if perr == nil || !perr.Repeated || perr.Start != 3 || perr.Limit != 3 || !errors.Is(perr, ekycadmin.ErrPagination) {
		t.Errorf("PaginationError = %+v", perr)
	}
}

func TestAllSessionsContextCanceled(t *testing.T) {
	p := &pager{n: 100, failAt: -1}
	c := newPagerClient(t, p)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	items := 0
	var gotErr error
	for _, err := range c.AllSessions(ctx, &ekycadmin.ListOptions{Limit: 3}) {
		if err != nil {
			gotErr = err
			continue
		}
		items++
		if items == 3 {
			cancel()
		}
	}
	if items != 3 || !errors.Is(gotErr, context.Canceled) {
		t.Errorf("items %d, error %v; want 3 and context.Canceled", items, gotErr)
	}
	if q := p.seen(); len(q) != 1 {
		t.Errorf("queries = %v", q)
	}
}

// TestAllSessionsMemory iterates 100,000 users through AllSessions against a
// loopback server that writes pages on the fly, and checks that the live
// heap stays bounded by a few pages (it would grow by about 100 pages if
// pages were kept).
func TestAllSessionsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("memory check skipped in -short mode")
	}
	const total, limit = 100_000, 1000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		lim, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		w.Header().Set("Content-Type", "application/json")
		bw := bufio.NewWriter(w)
		bw.WriteByte('[')
		for i := start; i < min(start+lim, total); i++ {
			if i > start {
				bw.WriteByte(',')
			}
			writeUser(bw, i)
		}
		bw.WriteByte(']')
		bw.Flush()
	}))
	t.Cleanup(srv.Close)
	c, err := ekycadmin.NewClient(option.WithBaseURL(srv.URL),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})))
	if err != nil {
		t.Fatal(err)
	}

	heapInuse := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	// Size of one decoded page, held alive.
	baseline := heapInuse()
	page, err := c.ListSessions(t.Context(), &ekycadmin.ListOptions{Limit: limit})
	if err != nil || len(page) != limit {
		t.Fatalf("page: %d items, %v", len(page), err)
	}
	withPage := heapInuse()
	runtime.KeepAlive(page)
	pageBytes := int64(withPage) - int64(baseline)
	if pageBytes <= 0 {
		pageBytes = 1
	}

	baseline = heapInuse()
	var peak uint64
	n := 0
	for us, err := range c.AllSessions(t.Context(), &ekycadmin.ListOptions{Limit: limit}) {
		if err != nil {
			t.Fatal(err)
		}
		if us.UserID == "" {
			t.Fatal("empty user")
		}
		n++
		if n%2500 == 0 {
			peak = max(peak, heapInuse())
		}
	}
	if n != total {
		t.Fatalf("iterated %d users, want %d", n, total)
	}
	growth := int64(peak) - int64(baseline)
	t.Logf("one page of %d users: %d KiB live; peak heap growth over %d users: %d KiB (%.2f pages)",
		limit, pageBytes>>10, total, growth>>10, float64(growth)/float64(pageBytes))
	if growth > 4*pageBytes+(1<<20) {
		t.Errorf("heap grew by %d bytes, more than 4 pages (%d bytes each) + 1 MiB", growth, pageBytes)
	}
}

func writeUser(w *bufio.Writer, i int) {
	fmt.Fprintf(w, `{"id":"user-%08d","sessions":{"5b7e3c1a-%08d":{"sessionToken":"eyJhbGciOiJIUzI1NiJ9.%08d.sig","url":"https://alchemy.veriff.com/v/eyJhbGciOiJIUzI1NiJ9.%08d.sig","id":"f04bdb47-d3be-4b28-%08d","status":"submitted","creation_date":"2024-03-02T10:00:00.000+00:00"}}}`, i, i, i, i, i)
}
