package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/kycgo/kyc/ekycadmin"
)

// progressInterval is the shortest time between two progress lines of list.
const progressInterval = 500 * time.Millisecond

// listCmd is "ekyc-admin list".
type listCmd struct {
	quiet bool
}

// sessionJSON is one session as list prints it: identifiers, status and
// dates only. The session token and URL give access to the user's hosted
// verification and are left out.
type sessionJSON struct {
	Key      string           `json:"key"`
	ID       string           `json:"id,omitempty"`
	Status   ekycadmin.Status `json:"status,omitempty"`
	Created  string           `json:"created,omitempty"`
	Modified string           `json:"modified,omitempty"`
}

// userJSON is one line of list's JSON output.
type userJSON struct {
	UserID   string        `json:"user_id"`
	Sessions []sessionJSON `json:"sessions"`
}

func (c *listCmd) run(ctx context.Context, client *ekycadmin.Client, g *globals, stdout, stderr io.Writer) (err error) {
	bw := bufio.NewWriter(stdout)
	var tbl *pagedTable
	var enc *json.Encoder
	if g.output == outputTable {
		tbl = newPagedTable(bw)
		tbl.row("USER ID", "SESSION ID", "STATUS", "CREATED", "MODIFIED")
	} else {
		enc = json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
	}
	// flush writes what was printed so far, on success and on error alike.
	flush := func() error {
		if tbl != nil {
			if err := tbl.flush(); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	defer func() {
		if ferr := flush(); ferr != nil && err == nil {
			err = fmt.Errorf("writing output: %w", ferr)
		}
	}()

	p := progress{w: stderr, quiet: c.quiet, page: g.pageSize}
	for us, err := range client.AllSessions(ctx, &ekycadmin.ListOptions{Limit: g.pageSize}) {
		if err != nil {
			p.stop()
			return err
		}
		entries := us.Sorted()
		if tbl != nil {
			if len(entries) == 0 {
				tbl.row(us.UserID, "", "", "", "")
			}
			for _, e := range entries {
				tbl.row(us.UserID, e.Session.ID, string(e.Session.Status), string(e.Session.CreationDate), string(e.Session.ModifiedDate))
			}
		} else {
			line := userJSON{UserID: us.UserID, Sessions: make([]sessionJSON, 0, len(entries))}
			for _, e := range entries {
				line.Sessions = append(line.Sessions, sessionJSON{
					Key: e.Key, ID: e.Session.ID, Status: e.Session.Status,
					Created: string(e.Session.CreationDate), Modified: string(e.Session.ModifiedDate),
				})
			}
			if err := enc.Encode(line); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		}
		if p.add(len(entries)) {
			// A page is complete: hand it to the reader and let the table
			// forget it, so only one page is held at a time.
			if err := flush(); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		}
	}
	p.done()
	return nil
}

// progress prints "fetched N sessions of M users..." on stderr at page
// boundaries, at most once per progressInterval, and a final count.
type progress struct {
	w               io.Writer
	quiet           bool
	page            int
	users, sessions int
	last            time.Time
}

// add counts one user and its sessions and reports whether a page is
// complete.
func (p *progress) add(sessions int) bool {
	p.users++
	p.sessions += sessions
	if p.users%p.page != 0 {
		return false
	}
	if now := time.Now(); !p.quiet && now.Sub(p.last) >= progressInterval {
		p.last = now
		fmt.Fprintf(p.w, "ekyc-admin: fetched %d sessions of %d users...\n", p.sessions, p.users)
	}
	return true
}

// stop ends an interrupted listing with what was fetched.
func (p *progress) stop() {
	if !p.quiet && p.users > 0 {
		fmt.Fprintf(p.w, "ekyc-admin: stopped after %d sessions of %d users\n", p.sessions, p.users)
	}
}

// done prints the final count.
func (p *progress) done() {
	if !p.quiet {
		fmt.Fprintf(p.w, "ekyc-admin: fetched %d sessions of %d users, done\n", p.sessions, p.users)
	}
}

// createCmd is "ekyc-admin create".
type createCmd struct {
	user, callback string
}

// createdJSON is create's JSON output.
type createdJSON struct {
	UserID    string           `json:"user_id"`
	SessionID string           `json:"session_id"`
	Status    ekycadmin.Status `json:"status"`
	URL       string           `json:"url"`
}

func (c *createCmd) run(ctx context.Context, client *ekycadmin.Client, g *globals, stdout, _ io.Writer) error {
	if strings.TrimSpace(c.user) == "" {
		return usagef("create needs -user ID")
	}
	var req *ekycadmin.CreateSessionRequest
	if c.callback != "" {
		req = &ekycadmin.CreateSessionRequest{Callback: c.callback}
	}
	s, err := client.CreateSession(ctx, c.user, req)
	if err != nil {
		return err
	}
	if g.output == outputJSON {
		return writeJSON(stdout, createdJSON{UserID: c.user, SessionID: s.ID, Status: s.Status, URL: s.URL})
	}
	return writeTable(stdout, [][2]string{
		{"user", c.user},
		{"session id", s.ID},
		{"status", string(s.Status)},
		{"onboarding url", s.URL},
	})
}

// statusCmd is "ekyc-admin status".
type statusCmd struct {
	user   string
	reason bool
}

// bucketJSON is the session found in one bucket of the user's status.
type bucketJSON struct {
	ID     string           `json:"id"`
	Status ekycadmin.Status `json:"status"`
}

// statusJSON is status's JSON output.
type statusJSON struct {
	UserID        string `json:"user_id"`
	TotalSessions int    `json:"total_sessions"`
	// Outcome is the final verification outcome, normalised: approved,
	// declined, expired, in_progress, unknown, or none before any verdict.
	Outcome string `json:"outcome"`
	// Verdict is the person-level verdict as the server wrote it.
	Verdict *verdictJSON           `json:"verdict,omitempty"`
	Buckets map[string]*bucketJSON `json:"buckets"`
}

type verdictJSON struct {
	Status    ekycadmin.Status `json:"status"`
	Timestamp string           `json:"timestamp,omitempty"`
	Reason    string           `json:"reason,omitempty"`
}

func (c *statusCmd) run(ctx context.Context, client *ekycadmin.Client, g *globals, stdout, _ io.Writer) error {
	if strings.TrimSpace(c.user) == "" {
		return usagef("status needs -user ID")
	}
	st, err := client.UserStatus(ctx, c.user)
	if err != nil {
		return err
	}
	buckets := []struct {
		name string
		s    *ekycadmin.Session
	}{
		{"created", st.Created}, {"started", st.Started}, {"submitted", st.Submitted},
		{"success", st.Success}, {"rejected", st.Rejected}, {"expired", st.Expired},
	}
	if g.output == outputJSON {
		out := statusJSON{UserID: c.user, TotalSessions: st.TotalSessions, Outcome: outcome(st), Buckets: map[string]*bucketJSON{}}
		if v := st.Verification; v != nil {
			out.Verdict = &verdictJSON{Status: v.Status, Timestamp: string(v.Timestamp)}
			if c.reason {
				out.Verdict.Reason = v.Reason
			}
		}
		for _, b := range buckets {
			if b.s != nil {
				out.Buckets[b.name] = &bucketJSON{ID: b.s.ID, Status: b.s.Status}
			} else {
				out.Buckets[b.name] = nil
			}
		}
		return writeJSON(stdout, out)
	}
	rows := [][2]string{
		{"user", c.user},
		{"total sessions", fmt.Sprint(st.TotalSessions)},
		{"outcome", outcome(st)},
	}
	if v := st.Verification; v != nil {
		rows = append(rows, [2]string{"verdict", string(v.Status)}, [2]string{"decided at", string(v.Timestamp)})
		if c.reason {
			rows = append(rows, [2]string{"reason", v.Reason})
		}
	}
	for _, b := range buckets {
		v := "-"
		if b.s != nil {
			v = b.s.ID + " (" + string(b.s.Status) + ")"
		}
		rows = append(rows, [2]string{"bucket " + b.name, v})
	}
	return writeTable(stdout, rows)
}

// outcome names the final verification outcome, treating the server's two
// spellings of each verdict alike.
func outcome(st *ekycadmin.UserStatus) string {
	if st.Verification == nil || st.Verification.Status == "" {
		return "none"
	}
	switch s := st.Verification.Status; {
	case s.IsApproved():
		return "approved"
	case s.IsDeclined():
		return "declined"
	case s.IsExpired():
		return "expired"
	case s.IsInProgress():
		return "in_progress"
	}
	return "unknown"
}

// pagedTable is an aligned table written one page at a time, so a listing
// of any size is never held whole. Within a page text/tabwriter aligns the
// columns; across pages a column only ever widens: every cell is padded to
// the widest value of the earlier pages, so pages line up unless a later
// value is wider than all before it.
type pagedTable struct {
	tw           *tabwriter.Writer
	prev, widths []int
	cells        []string
}

func newPagedTable(w io.Writer) *pagedTable {
	return &pagedTable{tw: newTable(w)}
}

// row writes one row; values are made safe with cell.
func (t *pagedTable) row(values ...string) {
	if len(t.widths) < len(values) {
		t.widths = append(t.widths, make([]int, len(values)-len(t.widths))...)
		t.prev = append(t.prev, make([]int, len(values)-len(t.prev))...)
	}
	t.cells = t.cells[:0]
	for i, v := range values {
		v = cell(v)
		n := utf8.RuneCountInString(v)
		t.widths[i] = max(t.widths[i], n)
		if i < len(values)-1 && n < t.prev[i] {
			v += strings.Repeat(" ", t.prev[i]-n)
		}
		t.cells = append(t.cells, v)
	}
	fmt.Fprintln(t.tw, strings.Join(t.cells, "\t"))
}

// flush ends a page.
func (t *pagedTable) flush() error {
	copy(t.prev, t.widths)
	return t.tw.Flush()
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
}

// cell makes a server-supplied value safe for one table cell: no tabs or
// line breaks that would break the layout, "-" for empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

func writeTable(w io.Writer, rows [][2]string) error {
	tw := newTable(w)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], cell(r[1]))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
