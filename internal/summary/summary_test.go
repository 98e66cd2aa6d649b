package summary

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/errtest"
	"github.com/pmdp/pmdp/internal/loggen"
)

func TestParseDimensions(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		want    []string
		wantErr []string // each must appear in the error
	}{
		{"default", contract.DefaultGroupBy, []string{"date", "path"}, nil},
		{"every dimension", "date,hour,path,method,status,host,type,action,bot,query:ev", []string{"date", "hour", "path", "method", "status", "host", "type", "action", "bot", "query:ev"}, nil},
		{"spaces around names", " date , query:uid ", []string{"date", "query:uid"}, nil},
		{"query parameter with odd characters", "query:a b", []string{"query:a b"}, nil},
		{"unknown", "date,colour", nil, []string{`unknown dimension "colour"`}},
		{"every problem at once", "colour,,date,date,query:", nil, []string{
			`unknown dimension "colour"`, "empty dimension", `"date" given twice`, `"query:": missing parameter name`,
		}},
		{"empty list", "", nil, []string{"empty dimension"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dims, err := ParseDimensions(tt.list)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseDimensions(%q) = %v, want an error", tt.list, dims)
				}
				errtest.Mentions(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range dims {
				got = append(got, d.Name())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

const allDims = "date,hour,path,method,status,host,type,query:ev,query:uid,query:a b"

func TestDimensionValues(t *testing.T) {
	const tail = ` "-" - - - "-" "-" "-" 0 2026-11-26T00:00:00.000000Z "fixed-response" "-" "-" "-" "-" "-" "-"`
	alb := func(typ, ts, status, request string) string {
		return typ + " " + ts + ` app/p/0 203.0.113.9:4431 - -1 -1 -1 ` + status + ` - 10 20 "` + request + `"` + tail
	}
	tests := []struct {
		name string
		line string
		want string // the values of allDims, joined by |
	}{
		{"plain", alb("https", "2026-11-25T23:59:59.999999Z", "204", "GET https://c.example.com:443/e?ev=signup&uid=42 HTTP/1.1"),
			"2026-11-25|2026-11-25T23|/e|GET|204|c.example.com|https|signup|42|"},
		{"percent-encoding kept in path, decoded in query", alb("h2", "2026-11-26T00:00:00Z", "204", "GET https://c:443/caf%C3%A9?ev=caf%C3%A9+au+lait HTTP/2.0"),
			"2026-11-26|2026-11-26T00|/caf%C3%A9|GET|204|c|h2|café au lait||"},
		{"ALB escapes decoded everywhere", alb("http", "2026-11-26T01:02:03Z", "204", `GET http://c:80/caf\xC3\xA9/\x22?ev=\x22q\x22 HTTP/1.1`),
			"2026-11-26|2026-11-26T01|/café/\"|GET|204|c|http|\"q\"||"},
		{"no path", alb("https", "2026-11-26T00:00:00Z", "204", "OPTIONS https://c:443 HTTP/1.1"),
			"2026-11-26|2026-11-26T00|/|OPTIONS|204|c|https|||"},
		{"query without path", alb("https", "2026-11-26T00:00:00Z", "204", "GET https://c:443?ev=x HTTP/1.1"),
			"2026-11-26|2026-11-26T00|/|GET|204|c|https|x||"},
		{"malformed", alb("http", "2026-11-26T00:00:00Z", "400", "- http://c:80- -"),
			"2026-11-26|2026-11-26T00|-|-|400|-|http|||"},
		{"bracketed IPv6 host", alb("http", "2026-11-26T00:00:00Z", "204", "GET http://[::1]:80/x?uid=7&ev=a&ev=b HTTP/1.1"),
			"2026-11-26|2026-11-26T00|/x|GET|204|::1|http|a|7|"},
		{"spaces in URI and query name", alb("http", "2026-11-26T00:00:00Z", "204", "GET http://c:80/a b?a%20b=1&a+b=2 HTTP/1.1"),
			"2026-11-26|2026-11-26T00|/a b|GET|204|c|http|||1"},
		{"invalid percent-encoding kept", alb("http", "2026-11-26T00:00:00Z", "204", "GET http://c:80/?ev=100%&uid=%zz HTTP/1.1"),
			"2026-11-26|2026-11-26T00|/|GET|204|c|http|100%|%zz|"},
		{"empty value", alb("http", "2026-11-26T00:00:00Z", "204", "GET http://c:80/?ev=&ev=late HTTP/1.1"),
			"2026-11-26|2026-11-26T00|/|GET|204|c|http|||"},
		{"status of four digits", alb("http", "2026-11-26T00:00:00Z", "2000", "GET http://c:80/ HTTP/1.1"),
			"2026-11-26|2026-11-26T00|/|GET|2000|c|http|||"},
		{"status that is not a number", alb("http", "2026-11-26T00:00:00Z", "abc", "GET http://c:80/ HTTP/1.1"),
			"2026-11-26|2026-11-26T00|/|GET|-|c|http|||"},
		{"Classic TCP", `2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.001 0.000028 0.000041 - - 82 305 "- - - " "-" - -`,
			"2015-05-13|2015-05-13T23|-|-|-|-|-|||"},
		{"Classic HTTP", `2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.001 0.000028 0.000041 200 200 0 29 "GET http://www.example.com:80/p?ev=\"x\" HTTP/1.1" "-" - -`,
			"2015-05-13|2015-05-13T23|/p|GET|200|www.example.com|-|\"x\"||"},
	}
	dims := MustParseDimensions(allDims)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p accesslog.Parser
			var r accesslog.Record
			if err := p.Parse([]byte(tt.line), &r); err != nil {
				t.Fatal(err)
			}
			s := New(dims)
			s.Add(&r)
			rows := s.Rows()
			if len(rows) != 1 || rows[0].Count != 1 {
				t.Fatalf("rows = %v, want one row counting 1", rows)
			}
			if got := strings.Join(rows[0].Values, "|"); got != tt.want {
				t.Errorf("values\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// generated returns n lines written by loggen from seed, newlines kept.
func generated(t testing.TB, seed uint64, n int) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := loggen.Write(&buf, loggen.Config{Seed: seed, Lines: n}); err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}

// parseAll is the records of the lines the parser takes.
func parseAll(lines [][]byte) []accesslog.Record {
	var p accesslog.Parser
	var recs []accesslog.Record
	for _, l := range lines {
		var r accesslog.Record
		if p.Parse(l, &r) == nil {
			recs = append(recs, r)
		}
	}
	return recs
}

func summarize(lines [][]byte, dims []Dimension) *Summary {
	s := New(dims)
	var p accesslog.Parser
	var r accesslog.Record
	for _, l := range lines {
		if err := p.Parse(l, &r); err != nil {
			var pe *accesslog.ParseError
			errors.As(err, &pe)
			s.Reject(pe.Reason())
			continue
		}
		s.Add(&r)
	}
	return s
}

func encoded(t *testing.T, s *Summary) string {
	t.Helper()
	var b bytes.Buffer
	if err := s.Write(&b, CSV); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMergeEqualsWhole is a property test: for random inputs, random
// group-bys and random ways of cutting the input in two, the merge of the
// two halves' summaries is the summary of the whole.
func TestMergeEqualsWhole(t *testing.T) {
	groupBys := []string{"date,path", "hour,status,query:ev", "host,type,method", "path"}
	for seed := range uint64(20) {
		rnd := rand.New(rand.NewPCG(seed, 1))
		lines := generated(t, seed, 200+rnd.IntN(800))
		dims := MustParseDimensions(groupBys[rnd.IntN(len(groupBys))])
		var a, b [][]byte
		for _, l := range lines {
			if rnd.IntN(2) == 0 {
				a = append(a, l)
			} else {
				b = append(b, l)
			}
		}
		whole := summarize(lines, dims)
		merged := summarize(a, dims)
		if err := merged.Merge(summarize(b, dims)); err != nil {
			t.Fatal(err)
		}
		if got, want := encoded(t, merged), encoded(t, whole); got != want {
			t.Fatalf("seed %d: merged summary differs from the whole:\n%s\nwant\n%s", seed, got, want)
		}
		if !reflect.DeepEqual(merged.Rejected, whole.Rejected) || merged.Requests() != whole.Requests() {
			t.Fatalf("seed %d: merged rejected %v requests %d, whole %v %d", seed, merged.Rejected, merged.Requests(), whole.Rejected, whole.Requests())
		}
		if merged.Requests()+merged.RejectedLines() != int64(len(lines)) {
			t.Fatalf("seed %d: %d requests + %d rejected != %d lines", seed, merged.Requests(), merged.RejectedLines(), len(lines))
		}
	}
}

func TestMergeRefusesOtherDimensions(t *testing.T) {
	a := New(MustParseDimensions("date,path"))
	b := New(MustParseDimensions("path,date"))
	if err := a.Merge(b); !errors.Is(err, ErrDimensionMismatch) {
		t.Fatalf("Merge = %v, want ErrDimensionMismatch", err)
	}
}

func TestSummaryMatchesGenerator(t *testing.T) {
	lines := generated(t, 99, 5000)
	var buf bytes.Buffer
	res, err := loggen.Write(&buf, loggen.Config{Seed: 99, Lines: 5000})
	if err != nil {
		t.Fatal(err)
	}
	for _, groupBy := range []string{"date,path", "hour,method,status,host,type,query:ev", "date,action,bot"} {
		s := summarize(lines, MustParseDimensions(groupBy))
		want, err := res.Expected(strings.Split(groupBy, ","))
		if err != nil {
			t.Fatal(err)
		}
		got := s.Rows()
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", groupBy, len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i].Values, want[i].Values) || got[i].Count != want[i].Count {
				t.Fatalf("%s: row %d = %q %d, want %q %d", groupBy, i, got[i].Values, got[i].Count, want[i].Values, want[i].Count)
			}
		}
		if s.RejectedLines() != int64(res.Rejected) {
			t.Errorf("%s: %d rejected, want %d", groupBy, s.RejectedLines(), res.Rejected)
		}
	}
}

func TestEncode(t *testing.T) {
	s := New(MustParseDimensions("path,query:ev"))
	rows := []Row{
		{Values: []string{"/a,b", `say "hi"`}, Count: 3},
		{Values: []string{" leading", "line\nbreak"}, Count: 2},
		{Values: []string{"/caf\xc3\xa9", "<&>"}, Count: 1},
		{Values: []string{"/raw\xff", ""}, Count: 1},
	}
	tests := []struct {
		format Format
		want   string
	}{
		{CSV, "path,query:ev,count\n" +
			"\"/a,b\",\"say \"\"hi\"\"\",3\n" +
			"\" leading\",\"line\nbreak\",2\n" +
			"/café,<&>,1\n" +
			"/raw\xff,,1\n"},
		{JSONL, `{"path":"/a,b","query:ev":"say \"hi\"","count":3}` + "\n" +
			`{"path":" leading","query:ev":"line\nbreak","count":2}` + "\n" +
			`{"path":"/café","query:ev":"<&>","count":1}` + "\n" +
			`{"path":"/raw\ufffd","query:ev":"","count":1}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var b bytes.Buffer
			if err := s.Encode(&b, tt.format, rows); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestRowsSortBytewiseByColumn(t *testing.T) {
	s := New(MustParseDimensions("path,status"))
	// Column by column: "/a" < "/a/b" even though "/a,..." would sort
	// after "/a/b" as a joined string.
	for _, line := range []string{"/a/b", "/a", "/B", "/a"} {
		var p accesslog.Parser
		var r accesslog.Record
		l := fmt.Sprintf(`http 2026-11-26T00:00:00Z app/p/0 1.2.3.4:5 - -1 -1 -1 204 - 1 2 "GET http://c:80%s HTTP/1.1" "-"`, line)
		if err := p.Parse([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		s.Add(&r)
	}
	var got []string
	for _, r := range s.Rows() {
		got = append(got, fmt.Sprintf("%s %s %d", r.Values[0], r.Values[1], r.Count))
	}
	want := []string{"/B 204 1", "/a 204 2", "/a/b 204 1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
}

func TestAddAllocatesOnlyForNewGroups(t *testing.T) {
	lines := generated(t, 3, 300)
	dims := MustParseDimensions("date,hour,path,status,query:ev")
	s := summarize(lines, dims) // every group exists now
	var p accesslog.Parser
	var r accesslog.Record
	var kept [][]byte
	for _, l := range lines {
		if p.Parse(l, &r) == nil {
			kept = append(kept, l)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		for _, l := range kept {
			_ = p.Parse(l, &r)
			s.Add(&r)
		}
	})
	if allocs != 0 {
		t.Errorf("parsing and counting %d known lines allocates %.1f times, want 0", len(kept), allocs)
	}
}

func BenchmarkAdd(b *testing.B) {
	recs := parseAll(generated(b, 5, 10000))
	dims := MustParseDimensions(contract.DefaultGroupBy)
	s := New(dims)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Add(&recs[i%len(recs)])
	}
}
