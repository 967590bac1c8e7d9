package ekycadmin_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/option"
)

// benchPage is one page of 1024 users, one session each (about 400 KB).
func benchPage(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	w.WriteByte('[')
	for i := range ekycadmin.DefaultPageSize {
		if i > 0 {
			w.WriteByte(',')
		}
		writeUser(w, i)
	}
	w.WriteByte(']')
	w.Flush()
	return buf.Bytes()
}

// benchServer answers every request with body and its Content-Length, as
// the EKYC API does.
func benchServer(b *testing.B, body []byte) *httptest.Server {
	length := strconv.Itoa(len(body))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkListSessionsPage decodes one page (limit 1024) through the client:
// auth, retry and logging layers, size cap, trailing-data check.
func BenchmarkListSessionsPage(b *testing.B) {
	body := benchPage(b)
	srv := benchServer(b, body)
	c, err := ekycadmin.NewClient(option.WithBaseURL(srv.URL),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})))
	if err != nil {
		b.Fatal(err)
	}
	opts := &ekycadmin.ListOptions{Limit: ekycadmin.DefaultPageSize}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		page, err := c.ListSessions(b.Context(), opts)
		if err != nil || len(page) != ekycadmin.DefaultPageSize {
			b.Fatal(len(page), err)
		}
	}
}

// BenchmarkListSessionsPageRaw is the baseline: plain net/http and
// encoding/json into the same type, same server, same page.
func BenchmarkListSessionsPageRaw(b *testing.B) {
	body := benchPage(b)
	srv := benchServer(b, body)
	hc := &http.Client{}
	url := srv.URL + "/ekyc/admin?limit=1024&start=0"
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var page []ekycadmin.UserSessions
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || len(page) != ekycadmin.DefaultPageSize {
			b.Fatal(len(page), err)
		}
	}
}
