package accesslog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []string
		err  error
	}{
		{"empty", "", nil, nil},
		{"plain fields", "a b c", []string{"a", "b", "c"}, nil},
		{"quoted with spaces", `a "b c" d`, []string{"a", "b c", "d"}, nil},
		{"quoted last", `a "b c"`, []string{"a", "b c"}, nil},
		{"empty quoted", `a "" b`, []string{"a", "", "b"}, nil},
		{"dash quoted", `"-"`, []string{"-"}, nil},
		{"ALB quote escape stays encoded", `"say \x22hi\x22" x`, []string{`say \x22hi\x22`, "x"}, nil},
		{"Classic quote escape", `"say \"hi\"" x`, []string{`say \"hi\"`, "x"}, nil},
		{"escaped backslash before closing quote", `"a\\" b`, []string{`a\\`, "b"}, nil},
		{"leading space inside quotes", `" example.com" x`, []string{" example.com", "x"}, nil},
		{"trailing newline", "a b\n", []string{"a", "b"}, nil},
		{"trailing CRLF", "a \"b\"\r\n", []string{"a", "b"}, nil},
		{"newline only", "\n", nil, nil},
		{"escape first in a quoted field", `"\"a" b`, []string{`\"a`, "b"}, nil},
		{"double space gives an empty field", "a  b", []string{"a", "", "b"}, nil},
		{"trailing space gives an empty field", "a ", []string{"a", ""}, nil},
		{"unterminated", `a "b c`, nil, ErrUnterminatedQuote},
		{"escape eats the quote", `a "b\"`, nil, ErrUnterminatedQuote},
		{"backslash at end", `a "b\`, nil, ErrUnterminatedQuote},
		{"bare quote", `"a"b`, nil, ErrBareQuote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields, err := Split(nil, []byte(tt.line))
			if !errors.Is(err, tt.err) {
				t.Fatalf("Split(%q) error = %v, want %v", tt.line, err, tt.err)
			}
			if err != nil {
				return
			}
			got := make([]string, len(fields))
			for i, f := range fields {
				got[i] = string(f)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("Split(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestAppendUnescaped(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"nothing to do", "/plain/path", "/plain/path"},
		{"ALB hex escapes", `/caf\xC3\xA9`, "/caf\xc3\xa9"},
		{"lower-case hex", `\x22q\x5c`, `"q\`},
		{"backslash-quote", `say \"hi\"`, `say "hi"`},
		{"double backslash", `a\\b`, `a\b`},
		{"invalid hex kept", `\xZZ`, `\xZZ`},
		{"short hex kept", `a\x2`, `a\x2`},
		{"trailing backslash kept", `a\`, `a\`},
		{"percent-encoding untouched", "/a%20b", "/a%20b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendUnescaped(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("AppendUnescaped(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitURL(t *testing.T) {
	tests := []struct{ name, url, host, path, query string }{
		{"full", "https://example.com:443/a/b?x=1&y=2", "example.com", "/a/b", "x=1&y=2"},
		{"no path", "https://example.com:443", "example.com", "", ""},
		{"query without path", "https://example.com:443?x=1", "example.com", "", "x=1"},
		{"IPv6 host", "http://[::ffff:a9fe:a9fe]:80/latest", "::ffff:a9fe:a9fe", "/latest", ""},
		{"IPv6 host, no path", "http://[2001:db8::1]:80", "2001:db8::1", "", ""},
		{"IPv4 host", "https://10.0.2.105:773/", "10.0.2.105", "/", ""},
		{"second question mark", "http://h:80/p?a=1?b", "h", "/p", "a=1?b"},
		{"scheme-like text in the query", "http://h:80/r?to=http://x/y", "h", "/r", "to=http://x/y"},
		{"no scheme", "/just/a/path?q", "", "/just/a/path", "q"},
		{"no scheme, :// later", "/r?u=http://x", "", "/r", "u=http://x"},
		{"asterisk", "*", "", "*", ""},
		{"malformed ALB URL", "http://h:80-", "h", "", ""},
		{"empty host", "http:///p?q", "", "/p", "q"},
		{"port without a host", "http://:80/p", "", "/p", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, p, q := SplitURL([]byte(tt.url))
			if string(h) != tt.host || string(p) != tt.path || string(q) != tt.query {
				t.Errorf("SplitURL(%q) = %q, %q, %q; want %q, %q, %q", tt.url, h, p, q, tt.host, tt.path, tt.query)
			}
		})
	}
}

// inside reports whether sub lies within line's memory.
func inside(sub, line []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(line) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(line)))
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	return s >= start && s+uintptr(len(sub)) <= start+uintptr(len(line))
}

// offset is where field, a slice of line, starts in it.
func offset(line, field []byte) int { return cap(line) - cap(field) }

// quoted reports whether field, split from line, was a quoted field.
func quoted(line, field []byte) bool {
	at := offset(line, field)
	return at > 0 && line[at-1] == '"'
}

func FuzzSplit(f *testing.F) {
	for _, l := range testdataLines(f, "alb.log") {
		f.Add(l)
	}
	for _, l := range testdataLines(f, "classic.log") {
		f.Add(l)
	}
	f.Add([]byte(`"a\"b" "\x22" "`))
	f.Fuzz(func(t *testing.T, line []byte) {
		fields, err := Split(nil, line)
		if err != nil {
			return
		}
		for i, field := range fields {
			if !inside(field, line) {
				t.Fatalf("field %d %q is not inside the line", i, field)
			}
		}
		// Unquoted fields never hold a space; rejoining plain lines is exact.
		if bytes.IndexByte(line, '"') < 0 {
			if got := bytes.Join(fields, []byte(" ")); !bytes.Equal(got, trimEOL(line)) {
				t.Fatalf("rejoined %q, want %q", got, trimEOL(line))
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, l := range testdataLines(f, "alb.log") {
		f.Add(l, false)
	}
	for _, l := range testdataLines(f, "classic.log") {
		f.Add(l, true)
	}
	f.Fuzz(func(t *testing.T, line []byte, classic bool) {
		p := Parser{Format: FormatALB}
		if classic {
			p.Format = FormatClassic
		}
		var r Record
		if err := p.Parse(line, &r); err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason() == "" {
				t.Fatalf("error %v is not a *ParseError with a reason", err)
			}
			return
		}
		for name, b := range map[string][]byte{
			"Type": r.Type, "ELB": r.ELB, "Client": r.Client, "Target": r.Target, "Request": r.Request,
			"Method": r.Method, "URL": r.URL, "Version": r.Version, "UserAgent": r.UserAgent,
			"TraceID": r.TraceID, "DomainName": r.DomainName, "ActionsExecuted": r.ActionsExecuted,
			"TransformedHost": r.TransformedHost, "RequestTransformStatus": r.RequestTransformStatus,
		} {
			if !inside(b, line) {
				t.Fatalf("%s %q is not inside the line", name, b)
			}
		}
		for _, b := range r.Extra {
			if !inside(b, line) {
				t.Fatalf("extra field %q is not inside the line", b)
			}
		}
		if r.Time.Location() != time.UTC {
			t.Fatalf("time %v is not in UTC", r.Time)
		}
		if !quoted(line, r.Request) || bytes.IndexByte(line, '"') != offset(line, r.Request)-1 {
			t.Fatalf("request %q is not the line's first quoted field", r.Request)
		}
		host, path, query := SplitURL(r.URL)
		for _, b := range [][]byte{host, path, query} {
			if !inside(b, line) {
				t.Fatalf("URL part %q is not inside the line", b)
			}
		}
	})
}

// FuzzParseLenient checks the parsing policy on any line that parses:
// replacing a field that counting does not need (any but the timestamp and
// the request) with any token leaves the line usable, with the same time
// and request.
func FuzzParseLenient(f *testing.F) {
	for _, name := range []string{"alb.log", "classic.log"} {
		for i, l := range testdataLines(f, name) {
			f.Add(l, uint8(3+i), "-")
		}
	}
	alb := testdataLines(f, "alb.log")[0]
	for i, token := range []string{"0", "2000", "abc", "", "-1", "1.2.3.4", "::1", `\x`} {
		f.Add(alb, uint8(3+i), token)
	}
	f.Fuzz(func(t *testing.T, line []byte, at uint8, token string) {
		if strings.ContainsAny(token, " \"\n") {
			return // a token with these would change the line's shape
		}
		var p Parser
		var want Record
		if p.Parse(line, &want) != nil {
			return
		}
		timeAt, requestAt := albTime, albRequest
		if p.Format == FormatClassic {
			timeAt, requestAt = classicTime, classicRequest
		}
		fields, _ := Split(nil, line)
		i := int(at) % len(fields)
		if i == timeAt || i == requestAt {
			return
		}
		var edited []byte
		for j, field := range fields {
			if j > 0 {
				edited = append(edited, ' ')
			}
			switch {
			case j == i:
				edited = append(edited, token...)
			case quoted(line, field):
				edited = append(append(append(edited, '"'), field...), '"')
			default:
				edited = append(edited, field...)
			}
		}
		q := Parser{Format: p.Format}
		var got Record
		if err := q.Parse(edited, &got); err != nil {
			t.Fatalf("field %d replaced by %q: %v\n%s", i, token, err, edited)
		}
		if !got.Time.Equal(want.Time) || !bytes.Equal(got.Request, want.Request) {
			t.Fatalf("field %d replaced by %q: time %v request %q, want %v %q", i, token, got.Time, got.Request, want.Time, want.Request)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	lines := testdataLines(b, "alb.log")
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	var p Parser
	var r Record
	for i := 0; b.Loop(); i++ {
		_ = p.Parse(lines[i%len(lines)], &r)
	}
}
