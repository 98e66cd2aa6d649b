package accesslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"
)

// fieldsOf renders every field of r by its Go name, so that tests can
// check any subset of them.
func fieldsOf(r *Record) map[string]string {
	m := map[string]string{}
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		var s string
		switch x := f.Interface().(type) {
		case []byte:
			if x == nil {
				s = "<nil>"
			} else {
				s = string(x)
			}
		case [][]byte:
			s = fmt.Sprintf("%q", x)
		case time.Time:
			if x.IsZero() {
				s = "<zero>"
			} else {
				s = x.Format(time.RFC3339Nano)
			}
		default:
			s = fmt.Sprint(x)
		}
		m[v.Type().Field(i).Name] = s
	}
	return m
}

// testdataLines returns the lines of a file under testdata.
func testdataLines(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	return lines
}

func TestParseALB(t *testing.T) {
	lines := testdataLines(t, "alb.log")
	tests := []struct {
		name string
		line int // 1-based line of testdata/alb.log
		want map[string]string
	}{
		{"AWS sample: http forwarded", 1, map[string]string{
			"Format": "alb", "Type": "http", "Time": "2018-07-02T22:23:00.186641Z",
			"ELB": "app/my-loadbalancer/50dc6c495c0c9188", "Client": "192.168.131.39", "ClientPort": "2817",
			"Target": "10.0.0.1", "TargetPort": "80",
			"RequestProcessingTime": "0s", "TargetProcessingTime": "1ms", "ResponseProcessingTime": "0s",
			"ELBStatusCode": "200", "TargetStatusCode": "200", "ReceivedBytes": "34", "SentBytes": "366",
			"Request": "GET http://www.example.com:80/ HTTP/1.1", "Method": "GET",
			"URL": "http://www.example.com:80/", "Version": "HTTP/1.1", "UserAgent": "curl/7.46.0",
			"SSLCipher": "<nil>", "SSLProtocol": "<nil>",
			"TargetGroupARN": "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067",
			"TraceID":        "Root=1-58337262-36d228ad5d99923122bbe354",
			"DomainName":     "<nil>", "ChosenCertARN": "<nil>", "MatchedRulePriority": "0",
			"RequestCreationTime": "2018-07-02T22:22:48.364Z", "ActionsExecuted": "forward",
			"RedirectURL": "<nil>", "ErrorReason": "<nil>", "TargetPortList": "10.0.0.1:80",
			"TargetStatusCodeList": "200", "Classification": "<nil>", "ClassificationReason": "<nil>",
			"ConnTraceID": "<nil>", "TransformedHost": "<nil>", "TransformedURI": "<nil>",
			"RequestTransformStatus": "<nil>", "Extra": "[]",
		}},
		{"AWS sample: h2 redirect", 2, map[string]string{
			"Type": "h2", "Client": "10.0.1.252", "ClientPort": "48160", "Target": "10.0.0.66", "TargetPort": "9000",
			"TargetProcessingTime": "2ms", "SentBytes": "257", "URL": "https://10.0.2.105:773/", "Version": "HTTP/2.0",
			"SSLCipher": "ECDHE-RSA-AES128-GCM-SHA256", "SSLProtocol": "TLSv1.2", "MatchedRulePriority": "1",
			"ActionsExecuted": "redirect", "RedirectURL": "https://example.com:80/",
		}},
		{"fixed response, IPv6 client without brackets, escaped quotes", 3, map[string]string{
			"Time": "2026-11-25T23:59:59.999999Z", "Client": "2a02:a33c::f215", "ClientPort": "50718",
			"Target": "<nil>", "TargetPort": "0", "RequestProcessingTime": "-1ns",
			"TargetProcessingTime": "-1ns", "ResponseProcessingTime": "-1ns",
			"ELBStatusCode": "204", "TargetStatusCode": "0",
			"URL":       "https://collector.example.com:443/e?ev=sign+up&uid=42",
			"UserAgent": `Mozilla/5.0 (X11; Linux x86_64) \x22quoted\x22`,
			"TraceID":   "Root=1-6745a1b2-0123456789abcdef01234567", "ChosenCertARN": "session-reused",
			"ActionsExecuted": "fixed-response", "ConnTraceID": "TID_0123456789abcdef0123456789abcdef",
			"TransformedHost": "<nil>", "Extra": "[]",
		}},
		{"2026 line with fields past the known ones, \\xHH in URL", 4, map[string]string{
			"URL":        `https://collector.example.com:443/caf\xC3\xA9/\x22q\x22?ev=caf%C3%A9`,
			"DomainName": " collector.example.com", "TraceID": "<nil>",
			"Extra": `["10.0.1.5" "-" "new field"]`,
		}},
		{"malformed request", 5, map[string]string{
			"ELBStatusCode": "400", "Request": "- http://collector.example.com:80- -",
			"Method": "<nil>", "URL": "http://collector.example.com:80-", "Version": "<nil>",
			"ActionsExecuted": "<nil>", "MatchedRulePriority": "<nil>",
		}},
		{"space in URI, desync classification", 6, map[string]string{
			"Method": "GET", "URL": "http://collector.example.com:80/a b?ev=x", "Version": "HTTP/1.1",
			"Classification": "Ambiguous", "ClassificationReason": "SpaceInUri", "ConnTraceID": "<nil>",
		}},
		{"bracketed IPv6 host, version with a stray space, empty actions, 2020 field count", 7, map[string]string{
			"URL": "http://[::ffff:a9fe:a9fe]:80/latest?ev=probe", "Version": "HTTP/1.0",
			"DomainName": "*", "ActionsExecuted": "", "ClassificationReason": "<nil>",
		}},
		{"URL without a path, line of the 2016 length", 8, map[string]string{
			"Method": "OPTIONS", "URL": "https://collector.example.com:443", "TraceID": "<nil>",
			"RequestCreationTime": "<zero>", "ActionsExecuted": "<nil>",
		}},
	}
	if len(tests) != len(lines) {
		t.Fatalf("testdata/alb.log has %d lines, the table %d: keep them in step", len(lines), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			var r Record
			if err := p.Parse(lines[tt.line-1], &r); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Format != FormatALB {
				t.Errorf("detected format %v, want alb", p.Format)
			}
			got := fieldsOf(&r)
			for k, want := range tt.want {
				if _, ok := got[k]; !ok {
					t.Fatalf("test names unknown field %s", k)
				}
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

func TestParseClassic(t *testing.T) {
	lines := testdataLines(t, "classic.log")
	tests := []struct {
		name string
		want map[string]string
	}{
		{"AWS sample: HTTP listener", map[string]string{
			"Format": "classic", "Type": "<nil>", "Time": "2015-05-13T23:39:43.945958Z", "ELB": "my-loadbalancer",
			"Client": "192.168.131.39", "ClientPort": "2817", "Target": "10.0.0.1", "TargetPort": "80",
			"RequestProcessingTime": "73µs", "TargetProcessingTime": "1.048ms", "ResponseProcessingTime": "57µs",
			"ELBStatusCode": "200", "TargetStatusCode": "200", "ReceivedBytes": "0", "SentBytes": "29",
			"Method": "GET", "URL": "http://www.example.com:80/", "Version": "HTTP/1.1",
			"UserAgent": "curl/7.38.0", "SSLCipher": "<nil>", "SSLProtocol": "<nil>", "Extra": "[]",
		}},
		{"AWS sample: TCP listener", map[string]string{
			"ELBStatusCode": "0", "TargetStatusCode": "0", "Request": "- - - ",
			"Method": "<nil>", "URL": "<nil>", "Version": "<nil>", "UserAgent": "<nil>",
		}},
		{`backslash-escaped quotes`, map[string]string{
			"URL": `https://www.example.com:443/say?q=\"hi\"`, "UserAgent": `agent \"x\"`,
			"SSLCipher": "ECDHE-RSA-AES128-GCM-SHA256", "SSLProtocol": "TLSv1.2",
		}},
	}
	// One parser for the whole file, as for a real one.
	var p Parser
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Record
			if err := p.Parse(lines[i], &r); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := fieldsOf(&r)
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const prefix = `http 2026-11-26T00:00:01.000000Z app/p/0 1.2.3.4:5 - -1 -1 -1 `
	tests := []struct {
		name   string
		format Format
		line   string
		err    error
		reason string
	}{
		{"unterminated quote", FormatALB, prefix + `204 - 1 2 "GET http://h:80/ HTTP/1.1`, ErrUnterminatedQuote, "unterminated quoted field"},
		{"escaped final quote", FormatALB, prefix + `204 - 1 2 "GET http://h:80/ HTTP/1.1\"`, ErrUnterminatedQuote, "unterminated quoted field"},
		{"bytes after a closing quote", FormatALB, prefix + `204 - 1 2 "GET / HTTP/1.1"x "-"`, ErrBareQuote, "quoted field not followed by a space"},
		{"cut short", FormatALB, prefix + `204 - 1`, ErrTooFewFields, "too few fields"},
		{"bad time", FormatALB, `http 2026-13-26T00:00:01Z app/p/0 1.2.3.4:5 - -1 -1 -1 204 - 1 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field time"},
		{"bad status", FormatALB, prefix + `20x - 1 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field elb_status_code"},
		{"bad byte count", FormatALB, prefix + `204 - 1k 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field received_bytes"},
		{"bad duration", FormatALB, `http 2026-11-26T00:00:01.000000Z app/p/0 1.2.3.4:5 - 0.x -1 -1 204 - 1 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field request_processing_time"},
		{"client without port", FormatALB, `http 2026-11-26T00:00:01.000000Z app/p/0 1.2.3.4 - -1 -1 -1 204 - 1 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field client:port"},
		{"port out of range", FormatALB, `http 2026-11-26T00:00:01.000000Z app/p/0 1.2.3.4:70000 - -1 -1 -1 204 - 1 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field client:port"},
		{"bad request_creation_time", FormatALB, prefix + `204 - 1 2 "GET / HTTP/1.1" "-" - - - "-" "-" "-" 0 yesterday`, ErrInvalidField, "invalid field request_creation_time"},
		{"not a log line", FormatUnknown, `hello world`, ErrUnknownFormat, "not an ALB or Classic ELB access log line"},
		{"Classic line in an ALB file", FormatALB, `2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -`, ErrInvalidField, "invalid field time"},
		{"ALB line in a Classic file", FormatClassic, prefix + `204 - 1 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Parser{Format: tt.format}
			var r Record
			err := p.Parse([]byte(tt.line), &r)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse error = %v, want %v", err, tt.err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if got := pe.Reason(); got != tt.reason {
				t.Errorf("Reason() = %q, want %q", got, tt.reason)
			}
		})
	}
}

func TestParseDetectsFormatOncePerFile(t *testing.T) {
	var p Parser
	var r Record
	if err := p.Parse([]byte("not a log line"), &r); err == nil {
		t.Fatal("garbage line parsed")
	}
	if p.Format != FormatUnknown {
		t.Fatalf("a garbage line fixed the format to %v", p.Format)
	}
	classic := testdataLines(t, "classic.log")[0]
	if err := p.Parse(classic, &r); err != nil || p.Format != FormatClassic {
		t.Fatalf("Parse(classic) = %v, format %v", err, p.Format)
	}
	alb := testdataLines(t, "alb.log")[0]
	if err := p.Parse(alb, &r); err == nil {
		t.Fatal("an ALB line parsed in a file detected as Classic")
	}
}

func TestParseTrailingNewlines(t *testing.T) {
	line := testdataLines(t, "alb.log")[0]
	for _, eol := range []string{"\n", "\r\n"} {
		var p Parser
		var r Record
		if err := p.Parse(append(append([]byte(nil), line...), eol...), &r); err != nil {
			t.Fatalf("%q: %v", eol, err)
		}
		if len(r.Extra) != 0 || string(r.TargetStatusCodeList) != "200" {
			t.Errorf("%q: last field %q, extra %q", eol, r.TargetStatusCodeList, r.Extra)
		}
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	lines := append(testdataLines(t, "alb.log"), []byte(nil))
	var p Parser
	var r Record
	for _, line := range lines {
		_ = p.Parse(line, &r) // warm the field buffer
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, line := range lines[:len(lines)-1] {
			if err := p.Parse(line, &r); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Parse allocates %.1f times per run of %d lines, want 0", allocs, len(lines)-1)
	}
}

func TestSplitRequest(t *testing.T) {
	tests := []struct {
		name, req, method, url, version string
	}{
		{"plain", "GET http://h:80/p HTTP/1.1", "GET", "http://h:80/p", "HTTP/1.1"},
		{"spaces in URL", "GET http://h:80/a b c HTTP/1.1", "GET", "http://h:80/a b c", "HTTP/1.1"},
		{"stray trailing space", "GET http://h:80/ HTTP/1.0 ", "GET", "http://h:80/", "HTTP/1.0"},
		{"no version", "GET http://h:80/p", "GET", "http://h:80/p", "<nil>"},
		{"no version, spaces in URL", "GET http://h:80/a b", "GET", "http://h:80/a b", "<nil>"},
		{"any method", "PROPFIND http://h:80/ HTTP/1.1", "PROPFIND", "http://h:80/", "HTTP/1.1"},
		{"ALB malformed", "- http://h:80- -", "<nil>", "http://h:80-", "<nil>"},
		{"Classic malformed", "- - - ", "<nil>", "<nil>", "<nil>"},
		{"method only", "GET", "GET", "<nil>", "<nil>"},
		{"empty", "", "<nil>", "<nil>", "<nil>"},
	}
	str := func(b []byte) string {
		if b == nil {
			return "<nil>"
		}
		return string(b)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, u, v := SplitRequest([]byte(tt.req))
			if str(m) != tt.method || str(u) != tt.url || str(v) != tt.version {
				t.Errorf("SplitRequest(%q) = %q %q %q, want %q %q %q", tt.req, str(m), str(u), str(v), tt.method, tt.url, tt.version)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC, or "" for invalid
	}{
		{"2018-07-02T22:23:00.186641Z", "2018-07-02T22:23:00.186641Z"},
		{"2018-07-02T22:23:00Z", "2018-07-02T22:23:00Z"},
		{"2018-07-02T22:23:00.1Z", "2018-07-02T22:23:00.1Z"},
		{"2018-07-02T22:23:00.123456789Z", "2018-07-02T22:23:00.123456789Z"},
		{"2018-07-02T22:23:00.000+02:00", "2018-07-02T20:23:00Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2023-02-29T00:00:00Z", ""},
		{"2018-07-02T24:00:00Z", ""},
		{"2018-07-02T22:23:00.Z", ""},
		{"2018-07-02T22:23:00.1234567890Z", ""},
		{"2018-07-02 22:23:00Z", ""},
		{"-", ""},
	}
	for _, tt := range tests {
		got, ok := parseTime([]byte(tt.in))
		switch {
		case tt.want == "" && ok:
			t.Errorf("parseTime(%q) = %v, want invalid", tt.in, got)
		case tt.want != "" && (!ok || got.Format(time.RFC3339Nano) != tt.want || got.Location() != time.UTC):
			t.Errorf("parseTime(%q) = %v, %v; want %s UTC", tt.in, got, ok, tt.want)
		}
	}
}

func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0.000", 0, true},
		{"0.000073", 73 * time.Microsecond, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"12", 12 * time.Second, true},
		{"0.0000000019", 1, true}, // past nanoseconds: dropped
		{"-1", Unmeasured, true},
		{"-", Unmeasured, true},
		{"", 0, false},
		{".5", 0, false},
		{"1.2.3", 0, false},
		{"-2", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseSeconds([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
