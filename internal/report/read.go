package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/summary"
)

// The columns a summary may have after "count", when it counts distinct
// values (--distinct): the estimate, and the sketch it came from.
const (
	distinctColumn = "distinct"
	sketchColumn   = "distinct_hll"
)

// maxLine bounds one JSON line, as summary.Reader does.
const maxLine = 16 << 20

// ReadLocation adds every summary or rollup stored under
// <prefix>dt=YYYY-MM-DD/ in bucket whose date is within the Builder's
// Since and Until, and returns how many objects it read. Objects elsewhere
// under prefix, and those that are neither .csv nor .jsonl, are left out.
func (b *Builder) ReadLocation(ctx context.Context, store objstore.ListStore, bucket, prefix string) (int, error) {
	objects, err := store.List(ctx, bucket, prefix)
	if err != nil {
		return 0, err
	}
	read := 0
	for _, o := range objects {
		date, format, ok := dateFolder(strings.TrimPrefix(o.Key, prefix))
		if !ok || !b.inRange(date) {
			continue
		}
		name := bucket + "/" + o.Key
		obj, err := store.Get(ctx, bucket, o.Key)
		if err != nil {
			return read, err
		}
		err = b.Add(obj.Body, format, name, date)
		obj.Body.Close()
		if err != nil {
			return read, err
		}
		read++
		if err := ctx.Err(); err != nil {
			return read, err
		}
	}
	return read, nil
}

// dateFolder reads a key relative to its prefix: dt=YYYY-MM-DD/NAME.csv or
// .jsonl.
func dateFolder(rel string) (date string, f summary.Format, ok bool) {
	folder, name, found := strings.Cut(rel, "/")
	date, isDate := strings.CutPrefix(folder, "dt=")
	if !found || !isDate || strings.Contains(name, "/") || !validDate(date) {
		return "", "", false
	}
	switch path.Ext(name) {
	case summary.CSV.Extension():
		return date, summary.CSV, true
	case summary.JSONL.Extension():
		return date, summary.JSONL, true
	}
	return "", "", false
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == len(time.DateOnly)
}

// Add adds the rows of one summary or rollup, in format f, as Write or
// the rollups write them: group columns, "count", then "distinct" and
// "distinct_hll" when the summary counts distinct values; other columns
// after "count" are left out. A row's date is its date column, else the
// date of its hour column, else folderDate (the dt= of its key); name
// (bucket/key) starts every error.
func (b *Builder) Add(r io.Reader, f summary.Format, name, folderDate string) error {
	var rows rowReader
	switch f {
	case summary.CSV:
		rows = newCSVRows(r)
	case summary.JSONL:
		rows = newJSONRows(r)
	default:
		return fmt.Errorf("%s: unknown format %q", name, f)
	}
	header, err := rows.header()
	if err == io.EOF {
		return nil // JSON Lines without rows
	}
	if err != nil {
		return fmt.Errorf("%s:%d: %w", name, rows.line(), err)
	}
	cols, err := parseHeader(header)
	if err != nil {
		return fmt.Errorf("%s:1: %w", name, err)
	}
	b.addColumns(cols.groups)
	for {
		rec, err := rows.next(cols)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, rows.line(), err)
		}
		date := folderDate
		switch {
		case cols.date >= 0:
			date = rec.values[cols.date]
		case cols.hour >= 0:
			date, _, _ = strings.Cut(rec.values[cols.hour], "T")
		}
		if !validDate(date) {
			return fmt.Errorf("%s:%d: date %q is not YYYY-MM-DD", name, rows.line(), date)
		}
		if !b.inRange(date) {
			continue
		}
		for i, v := range rec.values {
			rec.values[i] = summary.JSONText(v)
		}
		if err := b.add(date, cols.groups, rec); err != nil {
			return fmt.Errorf("%s:%d: %w", name, rows.line(), err)
		}
	}
}

// columns is where a summary's header puts what a report reads.
type columns struct {
	groups     []string // the group columns, before "count"
	date, hour int      // their index in groups, or -1
	count      int      // index in the header
	distinct   int      // index in the header, or -1
	sketch     int      // index in the header, or -1
	width      int      // columns in the header
}

func parseHeader(header []string) (columns, error) {
	c := columns{count: slices.Index(header, "count"), width: len(header)}
	if c.count < 0 {
		return c, fmt.Errorf("no count column in %q", header)
	}
	c.groups = slices.Clone(header[:c.count])
	if len(c.groups) > 0 {
		names, err := contract.ParseGroupBy(strings.Join(c.groups, ","))
		if err != nil || len(names) != len(c.groups) {
			return c, fmt.Errorf("columns %q are not a group-by list: %v", c.groups, err)
		}
	}
	c.date, c.hour = slices.Index(c.groups, "date"), slices.Index(c.groups, "hour")
	extra := header[c.count+1:]
	c.distinct, c.sketch = -1, -1
	if i := slices.Index(extra, distinctColumn); i >= 0 {
		c.distinct = c.count + 1 + i
	}
	if i := slices.Index(extra, sketchColumn); i >= 0 {
		c.sketch = c.count + 1 + i
	}
	return c, nil
}

// A row is one group of a summary.
type row struct {
	values   []string // the group columns
	count    int64
	distinct int64  // -1 when the summary has no distinct column
	sketch   string // "" when it has no sketch column
}

type rowReader interface {
	header() ([]string, error)
	next(columns) (row, error)
	line() int
}

// csvRows reads CSV as summary.Write writes it. encoding/csv turns CR LF
// inside a quoted field into LF, which summary.Reader does not; a report
// shows such a value with a line break either way.
type csvRows struct {
	r *csv.Reader
	n int // line of the record read last
}

func newCSVRows(r io.Reader) *csvRows {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked against the header, with a clearer message
	cr.ReuseRecord = true
	return &csvRows{r: cr}
}

func (c *csvRows) line() int { return c.n }

// read reads a record and notes its line, or the line of its error.
func (c *csvRows) read() ([]string, error) {
	rec, err := c.r.Read()
	var parse *csv.ParseError
	switch {
	case err == nil:
		c.n, _ = c.r.FieldPos(0)
	case errors.As(err, &parse):
		c.n, err = parse.Line, parse.Err
	default:
		c.n++
	}
	return rec, err
}

func (c *csvRows) header() ([]string, error) {
	h, err := c.read()
	if err == io.EOF {
		return nil, errors.New("empty: no header row")
	}
	return slices.Clone(h), err
}

func (c *csvRows) next(cols columns) (row, error) {
	rec, err := c.read()
	if err != nil {
		return row{}, err
	}
	if len(rec) != cols.width {
		return row{}, fmt.Errorf("%d fields, want %d", len(rec), cols.width)
	}
	r := row{values: slices.Clone(rec[:len(cols.groups)]), distinct: -1}
	if r.count, err = parseCount("count", rec[cols.count]); err != nil {
		return row{}, err
	}
	if cols.distinct >= 0 {
		if r.distinct, err = parseCount(distinctColumn, rec[cols.distinct]); err != nil {
			return row{}, err
		}
	}
	if cols.sketch >= 0 {
		r.sketch = rec[cols.sketch]
	}
	return r, nil
}

// jsonRows reads JSON Lines, keys in column order: the first line's keys
// are the header.
type jsonRows struct {
	s     *bufio.Scanner
	n     int
	first []byte
	keys  []string
}

func newJSONRows(r io.Reader) *jsonRows {
	s := bufio.NewScanner(r)
	s.Buffer(nil, maxLine)
	return &jsonRows{s: s}
}

func (j *jsonRows) line() int { return j.n }

func (j *jsonRows) header() ([]string, error) {
	if !j.s.Scan() {
		if err := j.s.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	j.n = 1
	j.first = j.s.Bytes()
	dec := json.NewDecoder(bytes.NewReader(j.first))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		j.keys = append(j.keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return j.keys, nil
}

func (j *jsonRows) next(cols columns) (row, error) {
	line := j.first
	j.first = nil
	for line == nil {
		if !j.s.Scan() {
			if err := j.s.Err(); err != nil {
				return row{}, err
			}
			return row{}, io.EOF
		}
		j.n++
		if line = j.s.Bytes(); len(bytes.TrimSpace(line)) == 0 {
			line = nil
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return row{}, err
	}
	if len(fields) != len(j.keys) {
		return row{}, fmt.Errorf("%d keys, want the first line's %q", len(fields), j.keys)
	}
	r := row{values: make([]string, len(cols.groups)), distinct: -1}
	for i, name := range cols.groups {
		if err := decodeField(fields, name, &r.values[i]); err != nil {
			return row{}, err
		}
	}
	var err error
	if r.count, err = jsonCount(fields, "count"); err != nil {
		return row{}, err
	}
	if cols.distinct >= 0 {
		if r.distinct, err = jsonCount(fields, distinctColumn); err != nil {
			return row{}, err
		}
	}
	if cols.sketch >= 0 {
		if err := decodeField(fields, sketchColumn, &r.sketch); err != nil {
			return row{}, err
		}
	}
	return r, nil
}

func decodeField(fields map[string]json.RawMessage, name string, s *string) error {
	raw, ok := fields[name]
	if !ok {
		return fmt.Errorf("no key %q", name)
	}
	if err := json.Unmarshal(raw, s); err != nil {
		return fmt.Errorf("%s: %s is not a string", name, raw)
	}
	return nil
}

func jsonCount(fields map[string]json.RawMessage, name string) (int64, error) {
	raw, ok := fields[name]
	if !ok {
		return 0, fmt.Errorf("no key %q", name)
	}
	return parseCount(name, string(raw))
}

func parseCount(name, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s %q is not a whole number", name, s)
	}
	return n, nil
}
