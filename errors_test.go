package kyc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kycgo/kyc"
)

// sharedNames are the errors every client returns: each must be declared
// once, in package kyc, and nowhere re-exported.
var sharedNames = []string{
	"APIError", "DecodeError", "TokenError", "ReauthorizationRequiredError", "TransportError", "SizeError", "RedirectError",
	"ErrBadRequest", "ErrUnauthorized", "ErrForbidden", "ErrNotFound", "ErrConflict", "ErrRateLimited", "ErrServer",
	"ErrResponseTooLarge", "ErrDecode", "ErrToken", "ErrRedirectRefused", "ErrReauthorizationRequired", "ErrInvalidArgument",
}

// TestSharedErrorsDeclaredOnce reads every package of the module: a shared
// error name declared at package level outside the root package would be a
// second public (or internal) name for the same error.
func TestSharedErrorsDeclaredOnce(t *testing.T) {
	want := map[string]bool{}
	for _, n := range sharedNames {
		want[n] = true
	}
	where := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || fileExists(filepath.Join(path, "go.mod"))) {
				return filepath.SkipDir // another module, or not Go code
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				var names []*ast.Ident
				switch s := spec.(type) {
				case *ast.TypeSpec:
					names = []*ast.Ident{s.Name}
				case *ast.ValueSpec:
					names = s.Names
				}
				for _, id := range names {
					if want[id.Name] {
						where[id.Name] = append(where[id.Name], filepath.ToSlash(filepath.Dir(path))+" ("+f.Name.Name+")")
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sharedNames {
		if got := where[n]; len(got) != 1 || got[0] != ". (kyc)" {
			t.Errorf("%s is declared in %v, want once, in package kyc", n, got)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestSharedErrorsBehaviour pins what the errors print and match, now that
// they are declared in package kyc.
func TestSharedErrorsBehaviour(t *testing.T) {
	e := &kyc.APIError{StatusCode: 404, Method: http.MethodGet, Path: "/v2/users/me", Code: "not_found", Message: "jane@example.com",
		RequestID: "req-1", Attempts: 2, Body: []byte("jane@example.com"), Header: http.Header{"Set-Cookie": {"s=secret"}}}
	const want = `kyc: GET /v2/users/me: 404 Not Found ("not_found") request-id "req-1" after 2 attempts`
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "%v %+v %s %#v %d", e, *e, e, e, *e)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "err", *e)
	js, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	if s := out.String(); strings.Contains(s, "jane@") || strings.Contains(s, "secret") {
		t.Errorf("APIError printed its message, body or header: %s", s)
	}
	if !strings.Contains(fmt.Sprintf("%#v", e), "&kyc.APIError{") {
		t.Errorf("%%#v = %#v, want the kyc type name", e)
	}
	if !errors.Is(e, kyc.ErrNotFound) || errors.Is(e, kyc.ErrServer) {
		t.Error("a 404 APIError must match ErrNotFound only")
	}
	if !errors.Is(&kyc.APIError{StatusCode: 500, Kinds: []error{kyc.ErrForbidden}}, kyc.ErrForbidden) {
		t.Error("Kinds are not matched")
	}

	te := &kyc.TransportError{Method: http.MethodPost, Path: "/x", Attempts: 3, Err: syscall.ECONNRESET}
	if got, want := te.Error(), "kyc: POST /x: transport error after 3 attempts: "+syscall.ECONNRESET.Error(); got != want {
		t.Errorf("TransportError = %q, want %q", got, want)
	}
	if !errors.Is(te, syscall.ECONNRESET) {
		t.Error("TransportError does not unwrap")
	}
	if got := (&kyc.TransportError{Method: http.MethodGet, Path: "/x", Attempts: 1, Err: syscall.ECONNREFUSED}).Error(); strings.Contains(got, "attempts") {
		t.Errorf("one attempt is not counted: %q", got)
	}

	re := &kyc.ReauthorizationRequiredError{TokenError: kyc.TokenError{Code: "invalid_grant", StatusCode: 400}}
	for _, target := range []error{kyc.ErrReauthorizationRequired, kyc.ErrToken, kyc.ErrUnauthorized} {
		if !errors.Is(re, target) {
			t.Errorf("ReauthorizationRequiredError does not match %v", target)
		}
	}
	for err, target := range map[error]error{
		&kyc.DecodeError{Err: errors.New("eof")}:            kyc.ErrDecode,
		&kyc.TokenError{StatusCode: 401}:                    kyc.ErrToken,
		&kyc.SizeError{Limit: 1}:                            kyc.ErrResponseTooLarge,
		&kyc.RedirectError{Reason: kyc.RedirectOtherOrigin}: kyc.ErrRedirectRefused,
	} {
		if !errors.Is(err, target) {
			t.Errorf("%T does not match %v", err, target)
		}
	}
}
