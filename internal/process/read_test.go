package process

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/summary"
)

func TestReadLogGenerated(t *testing.T) {
	var plain bytes.Buffer
	res, err := loggen.Write(&plain, loggen.Config{Seed: 11, Lines: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{"plain": plain.Bytes(), "gzip": loggen.Gzip(plain.Bytes())} {
		t.Run(name, func(t *testing.T) {
			s := summary.New(summary.MustParseDimensions("date,path"))
			st, err := ReadLog(bytes.NewReader(in), s)
			if err != nil {
				t.Fatal(err)
			}
			if st.Format != accesslog.FormatALB || st.Gzip != (name == "gzip") {
				t.Errorf("format %v gzip %v", st.Format, st.Gzip)
			}
			if st.Lines != int64(res.Lines) || st.Rejected != int64(res.Rejected) || s.RejectedLines() != st.Rejected {
				t.Errorf("lines %d rejected %d (summary %d), want %d and %d", st.Lines, st.Rejected, s.RejectedLines(), res.Lines, res.Rejected)
			}
			if s.Requests() != int64(res.Lines-res.Rejected) {
				t.Errorf("%d requests counted, want %d", s.Requests(), res.Lines-res.Rejected)
			}
			want, _ := res.Expected([]string{"date", "path"})
			rows := s.Rows()
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			for i := range rows {
				if strings.Join(rows[i].Values, "|") != strings.Join(want[i].Values, "|") || rows[i].Count != want[i].Count {
					t.Fatalf("row %d = %v, want %v", i, rows[i], want[i])
				}
			}
			if len(st.Samples) != min(MaxSamples, res.Rejected) {
				t.Errorf("%d samples for %d rejections", len(st.Samples), res.Rejected)
			}
		})
	}
}

func TestReadLogRejections(t *testing.T) {
	in := strings.Join([]string{
		`2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.001 0.000028 0.000041 200 200 0 29 "GET http://h:80/ HTTP/1.1" "-" - -`,
		``,
		`2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.001 0.000028 0.000041 200 200 0 29 GET http://h:80/ HTTP/1.1 "-" - -`,
		`   `,
		`2015-05-13T23:39:44.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.001 0.000028 0.000041 200 200 0 29 "GET http://h:80/x HTTP/1.1" "-" - -`,
		"http 2026-11-26T00:00:00Z app/p/0 1.2.3.4:5 - -1 -1 -1 204 - 1 2 \"GET http://c:80/ HTTP/1.1\" \"-\"",
		"\"unterminated",
	}, "\n")
	s := summary.New(summary.MustParseDimensions("path"))
	st, err := ReadLog(strings.NewReader(in), s)
	if err != nil {
		t.Fatal(err)
	}
	if st.Format != accesslog.FormatClassic {
		t.Errorf("format %v, want classic", st.Format)
	}
	if st.Lines != 5 || st.Rejected != 3 || s.Requests() != 2 {
		t.Errorf("lines %d rejected %d requests %d; want 5, 3, 2", st.Lines, st.Rejected, s.Requests())
	}
	var lines []int
	for _, r := range st.Samples {
		lines = append(lines, r.Line)
	}
	if len(lines) != 3 || lines[0] != 3 || lines[1] != 6 || lines[2] != 7 {
		t.Errorf("rejected line numbers %v, want [3 6 7]", lines)
	}
	if got := st.Samples[0].String(); got != `line 3: request: invalid field "GET"` {
		t.Errorf("sample = %q", got)
	}
	if !errors.Is(st.Samples[2].Err, accesslog.ErrUnterminatedQuote) {
		t.Errorf("sample 3 = %v, want an unterminated quote", st.Samples[2].Err)
	}
}

func TestReadLogCorruptGzip(t *testing.T) {
	zipped := loggen.Gzip(bytes.Repeat([]byte("x\n"), 100_000))
	s := summary.New(summary.MustParseDimensions("path"))
	_, err := ReadLog(bytes.NewReader(zipped[:len(zipped)-20]), s)
	if err == nil || !strings.Contains(err.Error(), "gzip") || !strings.Contains(err.Error(), "line ") {
		t.Fatalf("error %v, want a gzip error with a line number", err)
	}
}

// What a load balancer whose HTTP listener redirects to HTTPS logs for one
// request: the redirect on port 80, then the request itself on 443.
const redirectAndRequest = `http 2026-11-26T10:00:00.100000Z app/pmdp/50dc6c495c0c9188 203.0.113.9:50712 - -1 -1 -1 301 - 125 296 "GET http://c.example.com:80/e?ev=signup HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" - - - "Root=1-6745a1b2-0123456789abcdef01234567" "-" "-" 0 2026-11-26T10:00:00.100000Z "redirect" "https://c.example.com:443/e?ev=signup" "-" "-" "-" "-" "-" TID_0123456789abcdef0123456789abcdef "-" "-" "-"
https 2026-11-26T10:00:00.180000Z app/pmdp/50dc6c495c0c9188 203.0.113.9:50713 - -1 -1 -1 204 - 412 139 "GET https://c.example.com:443/e?ev=signup HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" TLS_AES_128_GCM_SHA256 TLSv1.3 - "Root=1-6745a1b2-0123456789abcdef01234568" "c.example.com" "-" 0 2026-11-26T10:00:00.179000Z "fixed-response" "-" "-" "-" "-" "-" "-" TID_0123456789abcdef0123456789abcdef "-" "-" "-"
`

func TestReadFilteredLog(t *testing.T) {
	tests := []struct {
		name, include, exclude string
		wantRequests           int64
		wantFiltered           int64
	}{
		{"no filter counts the redirect too", "", "", 3, 0},
		{"redirects excluded count the request once", "", "action=redirect", 2, 1},
		{"browsers only", "bot=no", "", 2, 1},
		{"both", "bot=no", "action=redirect", 1, 2},
		{"nothing kept", "status=500", "", 0, 3},
	}
	in := redirectAndRequest +
		`https 2026-11-26T10:00:01.000000Z app/pmdp/50dc6c495c0c9188 66.249.66.1:41234 - -1 -1 -1 204 - 412 139 "GET https://c.example.com:443/ HTTP/1.1" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" TLS_AES_128_GCM_SHA256 TLSv1.3 - "-" "c.example.com" "-" 0 2026-11-26T10:00:00.999000Z "fixed-response" "-" "-" "-" "-" "-" "-"` + "\n" +
		"this line is cut short\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summary.New(summary.MustParseDimensions("date,path"))
			st, err := ReadFilteredLog(strings.NewReader(in), s, summary.MustParseFilter(tt.include, tt.exclude))
			if err != nil {
				t.Fatal(err)
			}
			if s.Requests() != tt.wantRequests || st.Filtered != tt.wantFiltered {
				t.Errorf("%d requests, %d filtered; want %d and %d", s.Requests(), st.Filtered, tt.wantRequests, tt.wantFiltered)
			}
			// Filtered lines are neither rejected nor lost.
			if st.Lines != 4 || st.Rejected != 1 || s.RejectedLines() != 1 || s.Requests()+st.Filtered+st.Rejected != st.Lines {
				t.Errorf("lines %d, rejected %d (summary %d), requests %d, filtered %d: they do not add up", st.Lines, st.Rejected, s.RejectedLines(), s.Requests(), st.Filtered)
			}
		})
	}
}
