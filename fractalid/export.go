package fractalid

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/option"
)

// exportBaseHeader is the header of the three columns every export has.
var exportBaseHeader = [...]string{"user_id", "level", "status"}

// exportYes is the cell of an item column whose item the row's level holds.
const exportYes = "yes"

// ExportOption configures a CSV export. Options validate their arguments.
type ExportOption func(*exportSettings) error

type exportSettings struct {
	items        []Item
	levelColumns bool
}

// WithItemColumns adds one column per item (level or add-on), in the given
// order, after user_id, level and status. A cell reads "yes" when the
// row's level string holds the item and is empty otherwise.
func WithItemColumns(items ...Item) ExportOption {
	return func(s *exportSettings) error {
		if len(items) == 0 {
			return errors.New("WithItemColumns needs at least one item")
		}
		for _, it := range items {
			if strings.TrimSpace(string(it)) != string(it) || it == "" || strings.Contains(string(it), "+") {
				return fmt.Errorf("invalid item column %q", string(it))
			}
			if slices.Contains(s.items, it) {
				return fmt.Errorf("duplicate item column %q", string(it))
			}
			s.items = append(s.items, it)
		}
		return nil
	}
}

// WithLevelColumns adds one column per item found in the rows' level
// strings (levels first: uniqueness, basic, plus, v1, light; then add-ons
// in the documented order; then unknown items sorted), after any
// WithItemColumns columns. It needs all rows up front, so ExportCSV and
// ExportUserVerifications accept it and NewCSVExporter does not.
func WithLevelColumns() ExportOption {
	return func(s *exportSettings) error { s.levelColumns = true; return nil }
}

func exportApply(opts []ExportOption) (exportSettings, error) {
	var s exportSettings
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return s, fmt.Errorf("fractalid: %w: %w", kyc.ErrInvalidArgument, err)
		}
	}
	return s, nil
}

// CSVExporter writes user verifications as CSV, one record per Write,
// without holding the rows: the streaming form of ExportCSV. The first
// record is the header (user_id, level, status, then item columns). Every
// cell is guarded against formula injection: a value starting with '=',
// '+', '-', '@', a tab or a carriage return is prefixed with a single
// quote, so spreadsheets show it as text instead of running it.
//
// Call Flush at the end. A CSVExporter is not safe for concurrent use.
type CSVExporter struct {
	w      *csv.Writer
	cols   []Item
	index  map[Item]int
	record []string
	header bool
	err    error
}

// NewCSVExporter returns an exporter writing to w. Item columns must be
// named with WithItemColumns; WithLevelColumns needs all rows and is
// refused (use ExportCSV).
func NewCSVExporter(w io.Writer, opts ...ExportOption) (*CSVExporter, error) {
	if w == nil {
		return nil, fmt.Errorf("fractalid: %w: nil io.Writer", kyc.ErrInvalidArgument)
	}
	s, err := exportApply(opts)
	if err != nil {
		return nil, err
	}
	if s.levelColumns {
		return nil, fmt.Errorf("fractalid: %w: WithLevelColumns needs all rows; use ExportCSV or WithItemColumns", kyc.ErrInvalidArgument)
	}
	return exportNew(w, s.items), nil
}

func exportNew(w io.Writer, cols []Item) *CSVExporter {
	e := &CSVExporter{w: csv.NewWriter(w), cols: cols, record: make([]string, len(exportBaseHeader)+len(cols))}
	if len(cols) > 0 {
		e.index = make(map[Item]int, len(cols))
		for i, it := range cols {
			e.index[it] = len(exportBaseHeader) + i
		}
	}
	return e
}

// Write writes the header if it has not been written yet, then one record for v.
func (e *CSVExporter) Write(v UserVerification) error { return e.write(&v) }

func (e *CSVExporter) write(v *UserVerification) error {
	if e.err != nil {
		return e.err
	}
	if !e.header {
		if e.writeHeader(); e.err != nil {
			return e.err
		}
	}
	r := e.record
	r[0] = exportSafe(v.UserID)
	r[1] = exportSafe(v.RawLevel)
	r[2] = exportSafe(string(v.Status))
	if e.index != nil {
		for i := len(exportBaseHeader); i < len(r); i++ {
			r[i] = ""
		}
		for rest := v.RawLevel; rest != ""; {
			part := rest
			if j := strings.IndexByte(rest, '+'); j >= 0 {
				part, rest = rest[:j], rest[j+1:]
			} else {
				rest = ""
			}
			if i, ok := e.index[Item(strings.TrimSpace(part))]; ok {
				r[i] = exportYes
			}
		}
	}
	if err := e.w.Write(r); err != nil {
		e.err = fmt.Errorf("fractalid: writing CSV: %w", err)
	}
	return e.err
}

func (e *CSVExporter) writeHeader() {
	e.header = true
	h := make([]string, 0, len(exportBaseHeader)+len(e.cols))
	h = append(h, exportBaseHeader[:]...)
	for _, it := range e.cols {
		h = append(h, exportSafe(string(it)))
	}
	if err := e.w.Write(h); err != nil {
		e.err = fmt.Errorf("fractalid: writing CSV: %w", err)
	}
}

// Flush writes the header if no row was written, flushes buffered records
// to the underlying writer and returns the first error of any Write or of
// the flush.
func (e *CSVExporter) Flush() error {
	if e.err != nil {
		return e.err
	}
	if !e.header {
		e.writeHeader()
	}
	e.w.Flush()
	if err := e.w.Error(); err != nil && e.err == nil {
		e.err = fmt.Errorf("fractalid: writing CSV: %w", err)
	}
	return e.err
}

// ExportCSV writes rows to w as CSV with encoding/csv: a header row
// (user_id, level, status, then any item columns), then one record per
// user and level, in the order given. Cells are guarded against formula
// injection (see CSVExporter). With WithLevelColumns, a "yes"/empty column
// is added for every level and add-on found in the rows.
func ExportCSV(w io.Writer, rows []UserVerification, opts ...ExportOption) error {
	if w == nil {
		return fmt.Errorf("fractalid: %w: nil io.Writer", kyc.ErrInvalidArgument)
	}
	s, err := exportApply(opts)
	if err != nil {
		return err
	}
	return exportRows(w, rows, s)
}

func exportRows(w io.Writer, rows []UserVerification, s exportSettings) error {
	cols := s.items
	if s.levelColumns {
		cols = exportDiscoverColumns(cols, rows)
	}
	e := exportNew(w, cols)
	for i := range rows {
		if err := e.write(&rows[i]); err != nil {
			return err
		}
	}
	return e.Flush()
}

// exportDiscoverColumns appends to cols the items found in rows that cols
// does not hold yet, in the documented order, unknown ones sorted last.
func exportDiscoverColumns(cols []Item, rows []UserVerification) []Item {
	seen := make(map[Item]bool, len(cols)+8)
	for _, c := range cols {
		seen[c] = true
	}
	found := map[Item]bool{}
	for _, v := range rows {
		for part := range strings.SplitSeq(v.RawLevel, "+") {
			it := Item(strings.TrimSpace(part))
			if it != "" && !seen[it] {
				found[it] = true
			}
		}
	}
	out := slices.Clip(cols)
	order := append(append(Levels(), LevelV1, LevelLight), AddOns()...)
	order = append(order, AddOnVideo)
	for _, it := range order {
		if found[it] {
			out = append(out, it)
			delete(found, it)
		}
	}
	rest := make([]Item, 0, len(found))
	for it := range found {
		rest = append(rest, it)
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// exportSafe neutralises a cell that a spreadsheet would read as a formula
// (OWASP CSV injection: leading '=', '+', '-', '@', tab or carriage return)
// by prefixing a single quote.
func exportSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// ExportUserVerifications fetches GET /v2/stats/user-verifications and
// writes it to w as ExportCSV does with the export options (nil for
// none). The options are checked before the request is sent; nothing is
// written if the request fails. opts apply to the request.
func (c *StatsClient) ExportUserVerifications(ctx context.Context, w io.Writer, export []ExportOption, opts ...option.CallOption) error {
	if w == nil {
		return fmt.Errorf("fractalid: %w: nil io.Writer", kyc.ErrInvalidArgument)
	}
	s, err := exportApply(export)
	if err != nil {
		return err
	}
	rows, err := c.userVerifications(ctx, "fractalid.ExportUserVerifications", opts)
	if err != nil {
		return err
	}
	return exportRows(w, rows, s)
}
