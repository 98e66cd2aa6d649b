package summary

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

type decoded struct {
	columns []string
	rows    []Row
}

func decodeAll(t *testing.T, data string, f Format) (decoded, error) {
	t.Helper()
	r := NewReader(strings.NewReader(data), f)
	cols, err := r.Columns()
	if err != nil {
		return decoded{}, err
	}
	d := decoded{columns: cols}
	for {
		values, n, err := r.Read()
		if err == io.EOF {
			return d, nil
		}
		if err != nil {
			return d, err
		}
		d.rows = append(d.rows, Row{Values: append([]string(nil), values...), Count: n})
	}
}

// What Encode writes, Reader reads back: every value, in both formats.
func TestReaderReadsWhatEncodeWrites(t *testing.T) {
	s := New(MustParseDimensions("path,query:ev"))
	rows := []Row{
		{Values: []string{"/a,b", `say "hi"`}, Count: 3},
		{Values: []string{" leading", "line\nbreak\r\n"}, Count: 2},
		{Values: []string{"/café", "<&>\t\\"}, Count: 1},
		{Values: []string{"/", ""}, Count: 9007199254740993}, // beyond float64's integers
	}
	for _, f := range []Format{CSV, JSONL} {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			if err := s.Encode(&b, f, rows); err != nil {
				t.Fatal(err)
			}
			got, err := decodeAll(t, b.String(), f)
			if err != nil {
				t.Fatal(err)
			}
			want := decoded{columns: []string{"path", "query:ev"}, rows: rows}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back %#v, want %#v", got, want)
			}
		})
	}
}

func TestReaderEdges(t *testing.T) {
	tests := []struct {
		name    string
		format  Format
		data    string
		want    decoded
		wantErr string
	}{
		{"CSV header only", CSV, "date,path,count\n", decoded{columns: []string{"date", "path"}}, ""},
		{"CSV with CRLF", CSV, "path,count\r\n/a,2\r\n", decoded{[]string{"path"}, []Row{{Values: []string{"/a"}, Count: 2}}}, ""},
		{"count alone", CSV, "count\n5\n", decoded{columns: []string{}, rows: []Row{{Count: 5}}}, ""},
		{"CSV without a final LF", CSV, "path,count\n\"/a\r\n\",2", decoded{[]string{"path"}, []Row{{Values: []string{"/a\r\n"}, Count: 2}}}, ""},
		{"CSV unclosed quote", CSV, "path,count\n\"/a,2\n/b,1\n", decoded{}, "quoted field opened on line 2 is not closed"},
		{"CSV quote inside a field", CSV, "path,count\n/a\"b,2\n", decoded{}, "line 2: a quote in an unquoted field"},
		{"CSV text after a quoted field", CSV, "path,count\n\"/a\"x,2\n", decoded{}, `line 2: 'x' after a quoted field`},
		{"CSV line numbers count breaks in quotes", CSV, "path,count\n\"a\nb\",1\n/c,x\n", decoded{}, "line 4: count"},
		{"JSON Lines without rows", JSONL, "", decoded{}, ""},
		{"empty CSV", CSV, "", decoded{}, "empty: no header row"},
		{"no count column", CSV, "date,path\n", decoded{}, `no count column in ["date" "path"]`},
		{"a column after count", CSV, "date,count,distinct\n", decoded{}, `columns ["distinct"] after count: want none, or ["distinct" "distinct_hll"]`},
		{"distinct columns swapped", CSV, "date,count,distinct_hll,distinct\n", decoded{}, `columns ["distinct_hll" "distinct"] after count`},
		{"distinct columns and more", CSV, "date,count,distinct,distinct_hll,x\n", decoded{}, `columns ["distinct" "distinct_hll" "x"] after count`},
		{"distinct columns", CSV, "date,count,distinct,distinct_hll\nd,2,0,AgwAAA==\n", decoded{[]string{"date"}, []Row{{Values: []string{"d"}, Count: 2}}}, ""},
		{"distinct not a number", CSV, "date,count,distinct,distinct_hll\nd,2,x,AgwAAA==\n", decoded{}, `line 2: distinct "x" is not a whole number`},
		{"distinct columns missing", CSV, "date,count,distinct,distinct_hll\nd,2\n", decoded{}, "line 2: 2 fields, want 4"},
		{"JSON distinct as text", JSONL, `{"date":"d","count":1,"distinct":"0","distinct_hll":"AgwAAA=="}` + "\n", decoded{}, `line 1: distinct "0" is not a number`},
		{"JSON sketch as a number", JSONL, `{"date":"d","count":1,"distinct":0,"distinct_hll":0}` + "\n", decoded{}, "line 1: distinct_hll is a number"},
		{"JSON sketch missing", JSONL, `{"date":"d","count":1,"distinct":0,"distinct_hll":"AgwAAA=="}` + "\n" + `{"date":"e","count":1,"distinct":0}` + "\n", decoded{}, `line 2: no key "distinct_hll"`},
		{"unknown dimension", CSV, "date,colour,count\n", decoded{}, `"colour"`},
		{"a column twice", CSV, "path,path,count\n", decoded{}, "given twice"},
		{"count not a number", CSV, "path,count\n/a,2\n/b,two\n", decoded{}, `line 3: count "two" is not a whole number`},
		{"negative count", CSV, "path,count\n/a,-1\n", decoded{}, `line 2: count "-1"`},
		{"short row", CSV, "path,query:ev,count\n/a,2\n", decoded{}, "line 2: 2 fields, want 3"},
		{"JSON keys out of order", JSONL, `{"path":"/a","count":1}` + "\n" + `{"count":1,"path":"/b"}` + "\n", decoded{}, `line 2: key "count" at position 1`},
		{"JSON key missing", JSONL, `{"date":"d","path":"/a","count":1}` + "\n" + `{"date":"d","count":1}` + "\n", decoded{}, `line 2: key "count" at position 2`},
		{"JSON key after count", JSONL, `{"path":"/a","count":1}` + "\n" + `{"path":"/a","count":1,"x":"y"}` + "\n", decoded{}, `line 2: key "x" after count`},
		{"JSON count as text", JSONL, `{"path":"/a","count":"1"}` + "\n", decoded{}, `line 1: count "1" is not a number`},
		{"JSON fraction", JSONL, `{"path":"/a","count":1.5}` + "\n", decoded{}, `count "1.5"`},
		{"JSON value as number", JSONL, `{"status":204,"count":1}` + "\n", decoded{}, "status is a number"},
		{"JSON not an object", JSONL, `{"path":"/a","count":1}` + "\n" + `["/a",1]` + "\n", decoded{}, "line 2: not a JSON object"},
		{"JSON trailing text", JSONL, `{"path":"/a","count":1} x` + "\n", decoded{}, "line 1: more after the object"},
		{"JSON column after count", JSONL, `{"path":"/a","count":1,"distinct":3}` + "\n", decoded{}, `columns ["distinct"] after count`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAll(t, tt.data, tt.format)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// An error is sticky: a Reader does not go on past a bad line.
func TestReaderStopsAtAnError(t *testing.T) {
	r := NewReader(strings.NewReader("path,count\n/a,x\n/b,2\n"), CSV)
	for range 2 {
		if _, _, err := r.Read(); err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("Read = %v, want the error of line 2", err)
		}
	}
}

func TestAddCount(t *testing.T) {
	s := New(MustParseDimensions("path,status"))
	s.AddCount([]string{"/a", "204"}, 2)
	s.AddCount([]string{"/a", "404"}, 1)
	s.AddCount([]string{"/a", "204"}, 5)
	// Length-prefixed keys: no two value lists share a key.
	s.AddCount([]string{"/a2", "04"}, 1)
	want := []Row{{Values: []string{"/a", "204"}, Count: 7}, {Values: []string{"/a", "404"}, Count: 1}, {Values: []string{"/a2", "04"}, Count: 1}}
	if got := s.Rows(); !reflect.DeepEqual(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	values := []string{"/a", "204"}
	if allocs := testing.AllocsPerRun(100, func() { s.AddCount(values, 1) }); allocs != 0 {
		t.Errorf("AddCount to an existing group allocates %v times", allocs)
	}
	// Counts added by AddCount and by Add land in the same groups.
	other := New(MustParseDimensions("path,status"))
	other.AddCount([]string{"/a", "404"}, 1)
	if err := s.Merge(other); err != nil {
		t.Fatal(err)
	}
	if got := s.Rows()[1]; got.Count != 2 {
		t.Errorf("after Merge: %v", got)
	}
}

// Whatever values a summary holds, Reader reads back exactly what Encode
// wrote, in both formats.
func FuzzReaderRoundTrip(f *testing.F) {
	f.Add("/a,b", "say \"hi\"", int64(3))
	f.Add(" x", "line\r\nbreak\r", int64(0))
	f.Add("\"", "", int64(1<<62))
	f.Fuzz(func(t *testing.T, path, ev string, count int64) {
		if count < 0 {
			count = -(count + 1)
		}
		s := New(MustParseDimensions("path,query:ev"))
		rows := []Row{{Values: []string{path, ev}, Count: count}, {Values: []string{ev, path}, Count: 1}}
		for _, f := range []Format{CSV, JSONL} {
			var b bytes.Buffer
			if err := s.Encode(&b, f, rows); err != nil {
				t.Fatal(err)
			}
			got, err := decodeAll(t, b.String(), f)
			if err != nil {
				t.Fatalf("%s: %v\n%q", f, err, b.String())
			}
			want := rows
			if f == JSONL { // JSON strings hold text: invalid UTF-8 becomes U+FFFD
				want = []Row{{Values: []string{jsonText(path), jsonText(ev)}, Count: count}, {Values: []string{jsonText(ev), jsonText(path)}, Count: 1}}
			}
			if !reflect.DeepEqual(got.rows, want) {
				t.Fatalf("%s: read back %#v, want %#v", f, got.rows, want)
			}
		}
	})
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

func TestJSONText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"valid", "/café", "/café"},
		{"empty", "", ""},
		{"one bad byte", "/a\xffb", "/a\uFFFDb"},
		{"each bad byte its own mark", "\xff\xfe", "\uFFFD\uFFFD"},
		{"cut rune", "caf\xc3", "caf\uFFFD"},
		{"mark itself", "\uFFFD", "\uFFFD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := JSONText(tc.in); got != tc.want {
				t.Errorf("JSONText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got, json := JSONText(tc.in), jsonText(tc.in); got != json {
				t.Errorf("JSONText(%q) = %q, encoding/json holds %q", tc.in, got, json)
			}
		})
	}
}
