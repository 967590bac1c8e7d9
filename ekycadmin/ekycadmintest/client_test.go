package ekycadmintest_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// This suite drives the fake only through the public ekycadmin client.

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func apiError(t *testing.T, err error) *kyc.APIError {
	t.Helper()
	var e *kyc.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	return e
}

func TestCreateListReadStatus(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("user-1"))
	c := srv.Client()

	s, err := c.CreateSession(ctx(t), "user-1", &ekycadmin.CreateSessionRequest{Callback: "https://example.com/done"})
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == "" || s.URL == "" || s.SessionToken == "" || s.Status != ekycadmin.StatusCreated || s.CreationDate != "" || s.OriginalRequest != nil {
		t.Fatalf("created session %+v", *s)
	}
	stored := srv.Sessions("user-1")
	if len(stored) != 1 || stored[0].ID != s.ID || stored[0].Callback != "https://example.com/done" || stored[0].SessionToken != s.SessionToken {
		t.Fatalf("stored %v", stored)
	}

	us, err := c.UserSessions(ctx(t), "user-1")
	if err != nil {
		t.Fatal(err)
	}
	if us.UserID != "user-1" || len(us.Sessions) != 1 || us.Sessions[stored[0].Key].ID != s.ID {
		t.Fatalf("user sessions %v %v", us, us.Sessions)
	}
	if _, isKey := us.Sessions[s.ID]; isKey {
		t.Fatal("the map is keyed by the session ID; the server keys it by a separate UUID")
	}

	page, err := c.ListSessions(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].UserID != "user-1" {
		t.Fatalf("list %v", page)
	}

	st, err := c.UserStatus(ctx(t), "user-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.TotalSessions != 1 || st.Created == nil || st.Created.ID != s.ID || st.Started != nil || st.Verification != nil {
		t.Fatalf("status %v created=%v", st, st.Created)
	}
	if _, ok := st.Timestamp.Time(); !ok {
		t.Fatalf("status timestamp %q does not parse", st.Timestamp)
	}
}

func TestCreateIsNotIdempotent(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("u"))
	c := srv.Client()
	a, err := c.CreateSession(ctx(t), "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.CreateSession(ctx(t), "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID || a.SessionToken == b.SessionToken || srv.SessionCount("u") != 2 {
		t.Fatalf("two calls gave %s and %s, %d sessions", a.ID, b.ID, srv.SessionCount("u"))
	}
}

// call runs one operation of the client against user "u".
type call struct {
	name string
	perm ekycadmintest.Permission
	do   func(context.Context, *ekycadmin.Client) error
}

var calls = []call{
	{"ListSessions", ekycadmintest.PermissionList, func(ctx context.Context, c *ekycadmin.Client) error {
		_, err := c.ListSessions(ctx, nil)
		return err
	}},
	{"UserSessions", ekycadmintest.PermissionGet, func(ctx context.Context, c *ekycadmin.Client) error {
		_, err := c.UserSessions(ctx, "u")
		return err
	}},
	{"UserStatus", ekycadmintest.PermissionGet, func(ctx context.Context, c *ekycadmin.Client) error {
		_, err := c.UserStatus(ctx, "u")
		return err
	}},
	{"CreateSession", ekycadmintest.PermissionCreate, func(ctx context.Context, c *ekycadmin.Client) error {
		_, err := c.CreateSession(ctx, "u", nil)
		return err
	}},
}

func TestPermissionRefusal(t *testing.T) {
	t.Parallel()
	for _, cl := range calls {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			srv := ekycadmintest.NewServer(t)
			srv.AddUser(ekycadmintest.ValidUser("u"))
			srv.AddSession("u", ekycadmin.StatusCreated)
			// Every permission but the one the call needs.
			var others []ekycadmintest.Permission
			for _, p := range ekycadmintest.AllPermissions() {
				if p != cl.perm {
					others = append(others, p)
				}
			}
			err := cl.do(ctx(t), srv.ClientWith(others))
			e := apiError(t, err)
			if e.StatusCode != 401 || !reflect.DeepEqual(e.MissingPermissions, []string{string(cl.perm)}) || e.RequiredPermission != string(cl.perm) {
				t.Fatalf("status %d, missing %v, required %q", e.StatusCode, e.MissingPermissions, e.RequiredPermission)
			}
			if !errors.Is(err, kyc.ErrForbidden) || !errors.Is(err, kyc.ErrUnauthorized) {
				t.Fatalf("%v matches neither ErrForbidden nor ErrUnauthorized", err)
			}
			if srv.SessionCount("u") != 1 {
				t.Fatal("a refused call changed the sessions")
			}
			// With only the needed permission, the call goes through.
			if err := cl.do(ctx(t), srv.ClientWith([]ekycadmintest.Permission{cl.perm})); err != nil {
				t.Fatalf("with %s: %v", cl.perm, err)
			}
		})
	}
}

func TestPermissionDenialStyles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		style  ekycadmintest.PermissionDenial
		status int
		code   string
	}{
		{ekycadmintest.DenyMissingPermissions, 401, ""},
		{ekycadmintest.DenyForbidden, 403, "Forbidden"},
		{ekycadmintest.DenyAccessDenied500, 500, "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			srv := ekycadmintest.NewServer(t, ekycadmintest.WithPermissionDenial(tt.style))
			_, err := srv.ClientWith(nil).UserStatus(ctx(t), "u")
			e := apiError(t, err)
			if e.StatusCode != tt.status || e.Code != tt.code || !errors.Is(err, kyc.ErrForbidden) || e.Attempts != 1 {
				t.Fatalf("status %d code %q attempts %d forbidden %v", e.StatusCode, e.Code, e.Attempts, errors.Is(err, kyc.ErrForbidden))
			}
		})
	}
}

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		srv := ekycadmintest.NewServer(t)
		id, _ := srv.Credentials(ekycadmintest.AllPermissions()...)
		c, err := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, "not-the-secret"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.UserStatus(ctx(t), "u")
		var te *kyc.TokenError
		if !errors.As(err, &te) || te.Code != "invalid_client" || te.StatusCode != 401 || !errors.Is(err, kyc.ErrToken) {
			t.Fatalf("error %v", err)
		}
		if srv.Count("", ekycadmintest.PathUsers) != 0 || srv.Count("POST", ekycadmintest.PathToken) != 1 {
			t.Fatalf("requests %v", srv.Requests())
		}
	})
	t.Run("revoked client", func(t *testing.T) {
		t.Parallel()
		srv := ekycadmintest.NewServer(t)
		id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
		c, _ := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, secret))
		if _, err := c.UserStatus(ctx(t), "u"); err != nil {
			t.Fatal(err)
		}
		srv.RevokeClient(id)
		_, err := c.UserStatus(ctx(t), "u")
		e := apiError(t, err)
		if e.StatusCode != 401 || e.Code != "invalid_token" || len(e.MissingPermissions) != 0 || errors.Is(err, kyc.ErrForbidden) {
			t.Fatalf("revoked token: status %d code %q", e.StatusCode, e.Code)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		t.Parallel()
		clk := kyctest.NewClock(time.Now())
		srv := ekycadmintest.NewServer(t, ekycadmintest.WithClock(clk.Now))
		c := srv.Client()
		if _, err := c.UserStatus(ctx(t), "u"); err != nil {
			t.Fatal(err)
		}
		// The server's clock passes the token's expiry; the client, on
		// real time, still believes in its token. The server's
		// invalid_token challenge makes it fetch a new token and send the
		// call once more.
		clk.Advance(2 * time.Hour)
		if _, err := c.UserStatus(ctx(t), "u"); err != nil {
			t.Fatalf("expired token not renewed: %v", err)
		}
		if n := srv.Count("POST", ekycadmintest.PathToken); n != 2 {
			t.Fatalf("token requests = %d, want 2", n)
		}
		if n := srv.Count("GET", ekycadmintest.StatusPath("u")); n != 3 {
			t.Fatalf("status requests = %d, want 3 (ok, refused, ok)", n)
		}
	})
	t.Run("static token, revoked", func(t *testing.T) {
		t.Parallel()
		srv := ekycadmintest.NewServer(t)
		tok := srv.Token(ekycadmintest.PermissionGet)
		c, err := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.UserStatus(ctx(t), "u"); err != nil {
			t.Fatal(err)
		}
		srv.RevokeToken(tok)
		if _, err := c.UserStatus(ctx(t), "u"); !errors.Is(err, kyc.ErrUnauthorized) {
			t.Fatalf("revoked static token: %v", err)
		}
		if r := srv.Requests(); r[0].Header.Get("Authorization") != "[redacted]" || !r[0].HasAuth {
			t.Fatalf("log keeps the Authorization header: %v", r[0].Header)
		}
	})
	t.Run("permissions are bound at issuance", func(t *testing.T) {
		t.Parallel()
		srv := ekycadmintest.NewServer(t)
		id, secret := srv.Credentials()
		c, _ := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, secret))
		if _, err := c.UserStatus(ctx(t), "u"); !errors.Is(err, kyc.ErrForbidden) {
			t.Fatalf("no permission: %v", err)
		}
		srv.SetPermissions(id, ekycadmintest.PermissionGet)
		if _, err := c.UserStatus(ctx(t), "u"); !errors.Is(err, kyc.ErrForbidden) {
			t.Fatalf("the cached token gained a permission: %v", err)
		}
		c2, _ := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, secret))
		if _, err := c2.UserStatus(ctx(t), "u"); err != nil {
			t.Fatalf("a new token lacks the new permission: %v", err)
		}
	})
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	// The fake's clock is fixed so ages are exact.
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		user   ekycadmintest.User
		reason string
		kind   error
	}{
		{"no name", ekycadmintest.User{ID: "u", BirthDate: "1990-01-01"}, ekycadmin.ReasonNameRequired, ekycadmin.ErrInvalidName},
		{"no family name", ekycadmintest.User{ID: "u", GivenName: "A", BirthDate: "1990-01-01"}, ekycadmin.ReasonFamilyNameRequired, ekycadmin.ErrInvalidName},
		{"no given name", ekycadmintest.User{ID: "u", FamilyName: "B", BirthDate: "1990-01-01"}, ekycadmin.ReasonGivenNameRequired, ekycadmin.ErrInvalidName},
		{"no birth date", ekycadmintest.User{ID: "u", GivenName: "A", FamilyName: "B"}, ekycadmin.ReasonBirthDateRequired, ekycadmin.ErrInvalidBirthDate},
		{"14 tomorrow", ekycadmintest.User{ID: "u", GivenName: "A", FamilyName: "B", BirthDate: "2012-03-16"}, ekycadmin.ReasonUnderage, ekycadmin.ErrUnderage},
		{"14 today", ekycadmintest.User{ID: "u", GivenName: "A", FamilyName: "B", BirthDate: "2012-03-15"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ekycadmintest.NewServer(t, ekycadmintest.WithClock(func() time.Time { return now }))
			srv.AddUser(tt.user)
			s, err := srv.Client().CreateSession(ctx(t), "u", nil)
			if tt.reason == "" {
				if err != nil || s == nil || srv.SessionCount("u") != 1 {
					t.Fatalf("valid user refused: %v", err)
				}
				return
			}
			e := apiError(t, err)
			if s != nil || e.StatusCode != 400 || e.Code != tt.reason || !errors.Is(err, tt.kind) || !errors.Is(err, ekycadmin.ErrPersonIncomplete) || !errors.Is(err, kyc.ErrBadRequest) {
				t.Fatalf("status %d code %q, %v", e.StatusCode, e.Code, err)
			}
			if srv.SessionCount("u") != 0 || srv.Sessions("u") != nil {
				t.Fatal("a refused create made a session record")
			}
		})
	}
}

func TestUnknownUser(t *testing.T) {
	t.Parallel()
	t.Run("create, default 500", func(t *testing.T) {
		t.Parallel()
		srv := ekycadmintest.NewServer(t)
		_, err := srv.Client().CreateSession(ctx(t), "ghost", nil)
		e := apiError(t, err)
		if e.StatusCode != 500 || e.Code != "ApiException" || !errors.Is(err, kyc.ErrServer) || e.Attempts != 1 || srv.Count("POST", ekycadmintest.PathUsers) != 1 {
			t.Fatalf("status %d code %q attempts %d", e.StatusCode, e.Code, e.Attempts)
		}
	})
	t.Run("create, 404 option", func(t *testing.T) {
		t.Parallel()
		srv := ekycadmintest.NewServer(t, ekycadmintest.WithUnknownUserStatus(404))
		_, err := srv.Client().CreateSession(ctx(t), "ghost", nil)
		if !errors.Is(err, kyc.ErrNotFound) || errors.Is(err, ekycadmin.ErrNoSessions) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("sessions 404, status empty", func(t *testing.T) {
		t.Parallel()
		srv := ekycadmintest.NewServer(t)
		c := srv.Client()
		us, err := c.UserSessions(ctx(t), "ghost")
		e := apiError(t, err)
		if us != nil || e.StatusCode != 404 || e.Code != ekycadmin.ReasonNoSessions || !errors.Is(err, ekycadmin.ErrNoSessions) || !errors.Is(err, kyc.ErrNotFound) {
			t.Fatalf("status %d code %q", e.StatusCode, e.Code)
		}
		st, err := c.UserStatus(ctx(t), "ghost")
		if err != nil || st.TotalSessions != 0 || st.Verification != nil || st.Created != nil || st.Timestamp == "" {
			t.Fatalf("status of an unknown user: %v %v", st, err)
		}
	})
	t.Run("escaped user IDs", func(t *testing.T) {
		t.Parallel()
		srv := ekycadmintest.NewServer(t)
		id := "a/b c?d"
		srv.AddUser(ekycadmintest.ValidUser(id))
		c := srv.Client()
		if _, err := c.CreateSession(ctx(t), id, nil); err != nil {
			t.Fatal(err)
		}
		us, err := c.UserSessions(ctx(t), id)
		if err != nil || us.UserID != id || len(us.Sessions) != 1 {
			t.Fatalf("%v %v", us, err)
		}
	})
}

func TestPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		users, limit int
		wantRequests int
	}{
		{2500, 1000, 3},
		{2500, 0, 3},    // default page size 1024: 1024 + 1024 + 452
		{2048, 1024, 3}, // exact multiple: a last, empty page
		{0, 10, 1},
		{7, 3, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d users limit %d", tt.users, tt.limit), func(t *testing.T) {
			t.Parallel()
			srv := ekycadmintest.NewServer(t)
			for i := range tt.users {
				srv.AddSession(fmt.Sprintf("user-%05d", i), ekycadmin.StatusCreated)
			}
			c := srv.Client()
			if _, err := c.ListSessions(ctx(t), &ekycadmin.ListOptions{Limit: 1}); err != nil { // fetch the token
				t.Fatal(err)
			}
			srv.ResetLog()
			seen := map[string]bool{}
			for us, err := range c.AllSessions(ctx(t), &ekycadmin.ListOptions{Limit: tt.limit}) {
				if err != nil {
					t.Fatal(err)
				}
				if seen[us.UserID] {
					t.Fatalf("user %s seen twice", us.UserID)
				}
				seen[us.UserID] = true
				if len(us.Sessions) != 1 {
					t.Fatalf("user %s has %d sessions", us.UserID, len(us.Sessions))
				}
			}
			if len(seen) != tt.users {
				t.Fatalf("saw %d users, want %d", len(seen), tt.users)
			}
			if n := srv.Count("GET", ekycadmintest.PathList); n != tt.wantRequests {
				t.Fatalf("%d list requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestListPageQuery(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	for i := range 10 {
		srv.AddSession(fmt.Sprintf("u%d", i), "")
	}
	c := srv.Client()
	page, err := c.ListSessions(ctx(t), &ekycadmin.ListOptions{Start: 8, Limit: 5})
	if err != nil || len(page) != 2 || page[0].UserID != "u8" || page[1].UserID != "u9" {
		t.Fatalf("page %v: %v", page, err)
	}
	page, err = c.ListSessions(ctx(t), &ekycadmin.ListOptions{Start: 50})
	if err != nil || page == nil || len(page) != 0 {
		t.Fatalf("page past the end %v: %v", page, err)
	}
	var queries []string
	for _, r := range srv.Requests() {
		if r.Path == ekycadmintest.PathList {
			queries = append(queries, r.RawQuery)
		}
	}
	if !reflect.DeepEqual(queries, []string{"limit=5&start=8", "start=50"}) {
		t.Fatalf("queries %q", queries)
	}
}

func TestDecisionsAndBuckets(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("u"))
	c := srv.Client()
	s1, err := c.CreateSession(ctx(t), "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := c.CreateSession(ctx(t), "u", nil)
	if err != nil {
		t.Fatal(err)
	}
	status := func() *ekycadmin.UserStatus {
		t.Helper()
		st, err := c.UserStatus(ctx(t), "u")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	id := func(s *ekycadmin.Session) string {
		if s == nil {
			return ""
		}
		return s.ID
	}
	st := status()
	if st.TotalSessions != 2 || id(st.Created) != s1.ID {
		t.Fatalf("the created bucket holds %q, want the first session", id(st.Created))
	}

	// Events move sessions between buckets.
	if err := srv.SetSessionStatus("u", s1.ID, ekycadmin.StatusStarted); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetSessionStatus("u", s2.ID, ekycadmin.StatusSubmitted); err != nil {
		t.Fatal(err)
	}
	st = status()
	if id(st.Started) != s1.ID || id(st.Submitted) != s2.ID || st.Created != nil || st.Verification != nil || st.TotalSessions != 2 {
		t.Fatalf("after events: %v started=%q submitted=%q", st, id(st.Started), id(st.Submitted))
	}

	// A final decision removes the session and writes the verdict.
	if err := srv.Decide("u", s1.ID, ekycadmin.StatusApproved, ""); err != nil {
		t.Fatal(err)
	}
	st = status()
	if st.TotalSessions != 1 || st.Started != nil || st.Success != nil || !st.Outcome().IsApproved() || st.Outcome() != ekycadmin.StatusApproved {
		t.Fatalf("after approval: %v", st)
	}
	us, err := c.UserSessions(ctx(t), "u")
	if err != nil || len(us.Sessions) != 1 {
		t.Fatalf("after approval the map holds %d sessions: %v", len(us.Sessions), err)
	}
	if err := srv.Decide("u", s1.ID, ekycadmin.StatusApproved, ""); !errors.Is(err, ekycadmintest.ErrNoSuchSession) {
		t.Fatalf("decision on a removed session: %v", err)
	}

	// The last session declined: the map is empty but the record stays.
	if err := srv.Decide("u", s2.ID, "DECLINED", "document expired"); err != nil {
		t.Fatal(err)
	}
	st = status()
	if st.TotalSessions != 0 || st.Submitted != nil || !st.Outcome().IsDeclined() || st.Verification.Reason != "document expired" {
		t.Fatalf("after decline: %v", st)
	}
	if _, ok := st.Verification.Timestamp.Time(); !ok {
		t.Fatalf("verdict timestamp %q", st.Verification.Timestamp)
	}
	us, err = c.UserSessions(ctx(t), "u")
	if err != nil || us.UserID != "u" || len(us.Sessions) != 0 {
		t.Fatalf("an emptied record: %v %v", us, err)
	}
}

func TestDecisionVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []ekycadmintest.Option
		decision ekycadmin.Status
		verdict  ekycadmin.Status
		removed  bool
		err      error
	}{
		{"approved as is", nil, "approved", "approved", true, nil},
		{"approved mapped", []ekycadmintest.Option{ekycadmintest.WithMappedVerdict()}, "approved", "success", true, nil},
		{"declined mapped", []ekycadmintest.Option{ekycadmintest.WithMappedVerdict()}, "declined", "rejected", true, nil},
		{"expired mapped", []ekycadmintest.Option{ekycadmintest.WithMappedVerdict()}, "expired", "abandoned", true, nil},
		{"abandoned", nil, "abandoned", "abandoned", true, nil},
		{"submitted keeps the session", nil, "submitted", "submitted", false, nil},
		{"resubmission mapped to started", []ekycadmintest.Option{ekycadmintest.WithMappedVerdict()}, "resubmission_requested", "started", false, nil},
		{"resubmission as is is not a verdict", nil, "resubmission_requested", "", false, ekycadmintest.ErrBadVerdict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ekycadmintest.NewServer(t, tt.opts...)
			sid := srv.AddSession("u", ekycadmin.StatusSubmitted)
			if err := srv.Decide("u", sid, tt.decision, ""); !errors.Is(err, tt.err) {
				t.Fatalf("Decide: %v, want %v", err, tt.err)
			}
			st, err := srv.Client().UserStatus(ctx(t), "u")
			if err != nil {
				t.Fatal(err)
			}
			if st.Outcome() != tt.verdict || (st.TotalSessions == 0) != tt.removed {
				t.Fatalf("verdict %q, total %d", st.Outcome(), st.TotalSessions)
			}
		})
	}
}

func TestSuccessBucketFromEvent(t *testing.T) {
	t.Parallel()
	// Only a session whose status is literally "success" (an event, not a
	// decision) fills the success bucket; decisions remove sessions.
	srv := ekycadmintest.NewServer(t)
	sid := srv.AddSession("u", "")
	_ = srv.SetSessionStatus("u", sid, ekycadmin.StatusSuccess)
	srv.AddSession("u", ekycadmin.StatusExpired)
	srv.AddSession("u", ekycadmin.StatusRejected)
	st, err := srv.Client().UserStatus(ctx(t), "u")
	if err != nil {
		t.Fatal(err)
	}
	if st.Success == nil || st.Success.ID != sid || st.Expired == nil || st.Rejected == nil || st.TotalSessions != 3 || st.Verification != nil {
		t.Fatalf("status %v", st)
	}
}

func TestConcurrentClientsShareOneToken(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	c := srv.Client()
	const n = 40
	for i := range n {
		srv.AddUser(ekycadmintest.ValidUser(fmt.Sprint("u", i)))
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.CreateSession(ctx(t), fmt.Sprint("u", i), nil); err != nil {
				t.Error(err)
			}
			if _, err := c.UserStatus(ctx(t), fmt.Sprint("u", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if srv.TotalSessions() != n || srv.Count("POST", ekycadmintest.PathToken) != 1 {
		t.Fatalf("%d sessions, %d token requests", srv.TotalSessions(), srv.Count("POST", ekycadmintest.PathToken))
	}
	t.Logf("%d calls over %d connections", srv.Count("", "*"), srv.ConnectionCount())
}
