package summary

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/hll"
)

// Format is an output encoding of a Summary.
type Format string

const (
	CSV   Format = "csv"   // a header row, then one row per group; RFC 4180 quoting
	JSONL Format = "jsonl" // one JSON object per group, keys in column order
)

// ParseFormat checks an output format name.
func ParseFormat(name string) (Format, error) {
	if err := contract.ValidateFormat(name); err != nil {
		return "", err
	}
	return Format(name), nil
}

// Extension is the file name extension for f, with its dot.
func (f Format) Extension() string { return "." + string(f) }

// JSONText is v as a JSON string holds it: each byte that is not part of
// valid UTF-8 becomes U+FFFD, as encoding/json writes it. A value read
// from CSV (raw bytes) and the same value read from JSON Lines are then
// one value, not two that print alike.
func JSONText(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(v[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Header is the column names: the dimensions, then "count", then
// "distinct" and "distinct_hll" when s counts distinct values.
func (s *Summary) Header() []string {
	h := make([]string, 0, len(s.dims)+3)
	for _, d := range s.dims {
		h = append(h, d.name)
	}
	h = append(h, "count")
	if s.distinct.On() {
		h = append(h, distinctColumns...)
	}
	return h
}

// emptySketch stands for the sketch of a row that has none.
var emptySketch = hll.New()

// distinctText returns a row's distinct and distinct_hll: the estimate
// and the base64 of the sketch.
func distinctText(r Row) (estimate int64, sketch []byte) {
	sk := r.Sketch
	if sk == nil {
		sk = emptySketch
	}
	text, _ := sk.MarshalText() // never fails
	return sk.Estimate(), text
}

// Encode writes rows in format f under the header of s. Rows are written in
// the order given.
func (s *Summary) Encode(w io.Writer, f Format, rows []Row) error {
	switch f {
	case CSV:
		return s.encodeCSV(w, rows)
	case JSONL:
		return s.encodeJSONL(w, rows)
	}
	return fmt.Errorf("unknown format %q", f)
}

// Write writes every row of s, sorted, in format f.
func (s *Summary) Write(w io.Writer, f Format) error {
	return s.Encode(w, f, s.Rows())
}

func (s *Summary) encodeCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(s.Header()); err != nil {
		return err
	}
	record := make([]string, len(s.Header()))
	for _, r := range rows {
		copy(record, r.Values)
		record[len(s.dims)] = strconv.FormatInt(r.Count, 10)
		if s.distinct.On() {
			estimate, sketch := distinctText(r)
			record[len(s.dims)+1] = strconv.FormatInt(estimate, 10)
			record[len(s.dims)+2] = string(sketch)
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// encodeJSONL writes one object per row. JSON strings hold text, so bytes
// that are not valid UTF-8 (a path logged with raw \xHH bytes) become
// U+FFFD; CSV keeps them exactly.
func (s *Summary) encodeJSONL(w io.Writer, rows []Row) error {
	bw := bufio.NewWriter(w)
	var str bytes.Buffer
	enc := json.NewEncoder(&str)
	enc.SetEscapeHTML(false)
	quote := func(v string) []byte {
		str.Reset()
		_ = enc.Encode(v) // encoding a string cannot fail
		return bytes.TrimSuffix(str.Bytes(), []byte("\n"))
	}
	header := s.Header()
	keys := make([][]byte, len(header))
	for i, h := range header {
		keys[i] = append(append([]byte(nil), quote(h)...), ':')
	}
	var line []byte
	for _, r := range rows {
		line = append(line[:0], '{')
		for i, v := range r.Values {
			line = append(line, keys[i]...)
			line = append(line, quote(v)...)
			line = append(line, ',')
		}
		line = append(line, keys[len(s.dims)]...)
		line = strconv.AppendInt(line, r.Count, 10)
		if s.distinct.On() {
			// Base64 needs no JSON escaping.
			estimate, sketch := distinctText(r)
			line = append(line, ',')
			line = append(line, keys[len(s.dims)+1]...)
			line = strconv.AppendInt(line, estimate, 10)
			line = append(line, ',')
			line = append(line, keys[len(s.dims)+2]...)
			line = append(line, '"')
			line = append(line, sketch...)
			line = append(line, '"')
		}
		line = append(line, '}', '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
