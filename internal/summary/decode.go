package summary

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/hll"
)

// A Reader reads back a summary that Write wrote: CSV with its header row,
// or JSON Lines with keys in column order. The group columns come first,
// then "count", then "distinct" and "distinct_hll" when the summary
// counts distinct values. Any other column after "count" is refused
// rather than left out, since a reader that dropped it would lose what it
// holds.
type Reader struct {
	format  Format
	csv     *bufio.Reader
	record  []string
	field   []byte // the fields of the record being read, one after another
	ends    []int  // where each field ends in field
	lines   *bufio.Scanner
	line    int
	first   []byte // a JSON line read by Columns, not yet returned
	started bool
	columns []string
	header  []string // the columns, then the count and distinct columns
	values  []string
	// distinct: the summary has the distinct columns; sketch is the
	// distinct_hll of the row read last.
	distinct bool
	sketch   string
	err      error
}

// The columns after count of a summary that counts distinct values.
var distinctColumns = []string{"distinct", "distinct_hll"}

// maxLine bounds one JSON line: a row holds at most a few log fields of at
// most 256 KiB each, every byte of which JSON may spell in six.
const maxLine = 16 << 20

// NewReader returns a Reader of a summary in format f.
func NewReader(r io.Reader, f Format) *Reader {
	sr := &Reader{format: f}
	switch f {
	case CSV:
		sr.csv = bufio.NewReader(r)
	default:
		sr.lines = bufio.NewScanner(r)
		sr.lines.Buffer(nil, maxLine)
	}
	return sr
}

// Columns returns the group columns, "count" left out: the header row of
// CSV, the keys of the first row of JSON Lines. A JSON Lines summary
// without rows has none, and nil is returned.
func (r *Reader) Columns() ([]string, error) {
	if !r.started {
		r.start()
	}
	return r.columns, r.err
}

func (r *Reader) start() {
	r.started = true
	switch r.format {
	case CSV:
		header, err := r.readRecord()
		if err == io.EOF {
			r.err = errors.New("empty: no header row")
			return
		}
		if err != nil {
			r.err = fmt.Errorf("line %d: %w", r.line, err)
			return
		}
		r.setColumns(slices.Clone(header))
	case JSONL:
		if !r.lines.Scan() {
			r.err = r.lines.Err()
			return
		}
		r.line = 1
		r.first = r.lines.Bytes()
		keys, err := jsonKeys(r.first)
		if err != nil {
			r.err = fmt.Errorf("line 1: %w", err)
			return
		}
		r.setColumns(keys)
	default:
		r.err = fmt.Errorf("unknown format %q", r.format)
	}
}

// setColumns checks a header: dimensions, each once, then "count", then
// the distinct columns or nothing.
func (r *Reader) setColumns(header []string) {
	i := slices.Index(header, "count")
	switch {
	case i < 0:
		r.err = fmt.Errorf("line 1: no count column in %q", header)
		return
	case i < len(header)-1 && !slices.Equal(header[i+1:], distinctColumns):
		r.err = fmt.Errorf("line 1: columns %q after count: want none, or %q", header[i+1:], distinctColumns)
		return
	}
	r.distinct = i < len(header)-1
	r.header = header
	cols := header[:i]
	if len(cols) > 0 {
		names, err := contract.ParseGroupBy(strings.Join(cols, ","))
		if err != nil || len(names) != len(cols) {
			r.err = fmt.Errorf("line 1: columns %q are not a group-by list: %v", cols, err)
			return
		}
	}
	r.columns = cols
	r.values = make([]string, len(cols))
}

// Distinct tells whether the summary has the distinct columns; valid
// once Columns or Read has returned without error.
func (r *Reader) Distinct() bool { return r.distinct }

// Sketch decodes the distinct_hll of the row Read returned last: nil when
// the summary has no distinct columns. The error names the line.
func (r *Reader) Sketch() (*hll.Sketch, error) {
	if !r.distinct {
		return nil, nil
	}
	sketch := hll.New()
	if err := sketch.UnmarshalText([]byte(r.sketch)); err != nil {
		return nil, fmt.Errorf("line %d: distinct_hll: %w", r.line, err)
	}
	return sketch, nil
}

// Read returns the next row: its values in column order, valid until the
// next call, and its count. It returns io.EOF after the last row; other
// errors name the line.
func (r *Reader) Read() (values []string, count int64, err error) {
	if !r.started {
		r.start()
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	switch r.format {
	case CSV:
		values, count, err = r.readCSV()
	default:
		values, count, err = r.readJSON()
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("line %d: %w", r.line, err)
		r.err = err
	}
	return values, count, err
}

func (r *Reader) readCSV() ([]string, int64, error) {
	rec, err := r.readRecord()
	if err != nil {
		return nil, 0, err
	}
	n := len(r.columns)
	if len(rec) != len(r.header) {
		return nil, 0, fmt.Errorf("%d fields, want %d", len(rec), len(r.header))
	}
	count, err := parseCount(rec[n])
	if err != nil {
		return nil, 0, err
	}
	if r.distinct {
		if _, err := parseDistinct(rec[n+1]); err != nil {
			return nil, 0, err
		}
		r.sketch = rec[n+2]
	}
	copy(r.values, rec[:n])
	return r.values, count, nil
}

func (r *Reader) readJSON() ([]string, int64, error) {
	line := r.first
	r.first = nil
	if line == nil {
		if !r.lines.Scan() {
			if err := r.lines.Err(); err != nil {
				return nil, 0, err
			}
			return nil, 0, io.EOF
		}
		r.line++
		line = r.lines.Bytes()
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, 0, fmt.Errorf("not a JSON object")
	}
	var count int64
	n := len(r.columns)
	i := 0
	for ; dec.More(); i++ {
		k, err := dec.Token()
		if err != nil {
			return nil, 0, err
		}
		if i >= len(r.header) || k != r.header[i] {
			if i >= n {
				return nil, 0, fmt.Errorf("key %q after count: want the keys %q", k, r.header)
			}
			return nil, 0, fmt.Errorf("key %q at position %d: want the keys %q", k, i+1, r.header)
		}
		v, err := dec.Token()
		if err != nil {
			return nil, 0, err
		}
		// The columns and distinct_hll are strings, count and distinct
		// numbers.
		wantString := i < n || i == n+2
		switch v := v.(type) {
		case string:
			if !wantString {
				return nil, 0, fmt.Errorf("%s %q is not a number", r.header[i], v)
			}
			if i < n {
				r.values[i] = v
			} else {
				r.sketch = v
			}
		case json.Number:
			if wantString {
				return nil, 0, fmt.Errorf("%s is a number, want a string", r.header[i])
			}
			if i == n {
				count, err = parseCount(string(v))
			} else {
				_, err = parseDistinct(string(v))
			}
			if err != nil {
				return nil, 0, err
			}
		default:
			return nil, 0, fmt.Errorf("key %q: value %v is neither a string nor a number", k, v)
		}
	}
	if i < len(r.header) {
		return nil, 0, fmt.Errorf("no key %q", r.header[i])
	}
	if _, err := dec.Token(); err != nil {
		return nil, 0, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, 0, fmt.Errorf("more after the object")
	}
	// Every key was checked against its position; the count is the last.
	return r.values, count, nil
}

// readRecord reads one CSV record as encoding/csv's Writer writes it
// (RFC 4180): fields separated by commas, quoted when they hold a quote,
// comma, CR or LF or start with a space, quotes doubled inside. Unlike
// encoding/csv's Reader it keeps a quoted field's bytes exactly: that one
// turns CR LF inside quotes into LF, which would change a value that
// holds them (a percent-decoded query). A CR before a record's LF is
// dropped, for files that passed through tools that write CRLF.
//
// The fields of a record share one string, so a record costs one
// allocation.
func (r *Reader) readRecord() ([]string, error) {
	r.field, r.ends = r.field[:0], r.ends[:0]
	r.line++
	startLine := r.line
	for {
		fieldStart := len(r.field)
		c, err := r.csv.ReadByte()
		if err == io.EOF && len(r.ends) == 0 {
			return nil, io.EOF
		}
		if c == '"' && err == nil {
			for {
				c, err = r.csv.ReadByte()
				if err != nil {
					return nil, fmt.Errorf("quoted field opened on line %d is not closed", startLine)
				}
				if c == '"' {
					if next, err := r.csv.ReadByte(); err == nil && next == '"' {
						r.field = append(r.field, '"')
						continue
					} else if err == nil {
						_ = r.csv.UnreadByte()
					}
					c, err = r.csv.ReadByte()
					break
				}
				if c == '\n' {
					r.line++
				}
				r.field = append(r.field, c)
			}
		} else {
			for err == nil && c != ',' && c != '\n' {
				if c == '"' {
					return nil, errors.New(`a quote in an unquoted field`)
				}
				r.field = append(r.field, c)
				c, err = r.csv.ReadByte()
			}
			if (c == '\n' || err == io.EOF) && len(r.field) > fieldStart && r.field[len(r.field)-1] == '\r' {
				r.field = r.field[:len(r.field)-1]
			}
		}
		r.ends = append(r.ends, len(r.field))
		switch {
		case err == io.EOF || (err == nil && c == '\n'):
			return r.fields(), nil
		case err != nil:
			return nil, err
		case c == '\r':
			if next, err := r.csv.ReadByte(); err != nil || next != '\n' {
				return nil, errors.New("a CR after a quoted field, not followed by LF")
			}
			return r.fields(), nil
		case c != ',':
			return nil, fmt.Errorf("%q after a quoted field", c)
		}
	}
}

// fields cuts the record read into its fields.
func (r *Reader) fields() []string {
	all := string(r.field)
	r.record = r.record[:0]
	from := 0
	for _, to := range r.ends {
		r.record = append(r.record, all[from:to])
		from = to
	}
	return r.record
}

// jsonKeys returns the keys of one JSON object, in order.
func jsonKeys(line []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func parseDistinct(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("distinct %q is not a whole number", s)
	}
	return n, nil
}

func parseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("count %q is not a whole number", s)
	}
	return n, nil
}

// AddCount adds n requests (n >= 0) to the group with values, given in
// the order of s's dimensions, as merging a decoded summary does. Like Add,
// it allocates only when it opens a group. A row whose values are all
// Other but the time columns' is the decoded summary's overflow row: it
// goes to s's, and EndInput then folds the groups that row may hold.
//
// Call EndInput after the last row of each decoded summary.
func (s *Summary) AddCount(values []string, n int64) { s.AddRow(values, n, nil) }

// AddRow is AddCount with the row's sketch of distinct values, which it
// merges into the sketch of the row that takes the requests (sketches
// merge; their estimates are never added). A nil sketch merges nothing; so
// does any sketch when s counts no distinct values.
func (s *Summary) AddRow(values []string, n int64, sketch *hll.Sketch) {
	k := s.key[:0]
	for _, v := range values {
		k = binary.BigEndian.AppendUint32(k, uint32(len(v)))
		k = append(k, v...)
	}
	s.key = k
	if s.isOverflow(k) {
		s.clock += n
		s.addOther(k, n, sketch)
		s.inputOther[string(s.overflowKey(k))] = true
		return
	}
	s.count(k, n, sketch)
}

// EndInput ends the rows of one decoded summary given to AddCount. A
// decoded summary cannot tell which groups its overflow rows hold: any
// group of those dates (and hours) that it has no row for may have
// requests there. So each such group is folded into its overflow row, and
// from then on no group of those dates opens a row. summedDown says the
// summary's rows were finer groups summed down to s's (it had more
// columns): then a row does not show that the whole group is there, and
// every group of those dates is folded.
func (s *Summary) EndInput(summedDown bool) {
	if len(s.inputOther) > 0 {
		for i, c := range s.counts {
			if c < 0 || (!summedDown && s.groups[i].input == s.input) {
				continue
			}
			s.fkey = append(s.fkey[:0], s.groups[i].key...)
			if s.inputOther[string(s.overflowKey(s.fkey))] {
				s.foldGroup(int32(i))
			}
		}
		for k := range s.inputOther {
			s.closed[k] = true
		}
		clear(s.inputOther)
	}
	s.input++
}
