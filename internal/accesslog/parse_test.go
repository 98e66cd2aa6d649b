package accesslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/logstream"
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

// checkFields fails t unless r's fields named in want hold those values.
// A name that is no field of Record stops the test, so that a typo in a
// table cannot pass unnoticed.
func checkFields(t *testing.T, r *Record, want map[string]string) {
	t.Helper()
	got := fieldsOf(r)
	for k, w := range want {
		if _, ok := got[k]; !ok {
			t.Fatalf("test names unknown field %s", k)
		}
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
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
			checkFields(t, &r, tt.want)
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
			checkFields(t, &r, tt.want)
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
		{"cut before the request", FormatClassic, `2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29`, ErrTooFewFields, "too few fields"},
		{"bad time", FormatALB, `http 2026-13-26T00:00:01Z app/p/0 1.2.3.4:5 - -1 -1 -1 204 - 1 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field time"},
		{"time without a zone", FormatClassic, `2017-08-10T18:25:56 lb 137.190.87.41:52888 10.168.203.134:23667 0.000803 0.048702 0.002085 200 200 2836 1169667 "POST https://h:443/api HTTP/1.1" "-" - -`, ErrInvalidField, "invalid field timestamp"},
		{"request not quoted", FormatALB, prefix + `204 - 1 2 GET http://h:80/ HTTP/1.1`, ErrInvalidField, "invalid field request"},
		// Lines as published after their authors edited them: a client
		// replaced by "{Attacker IP}" (aws-samples/siem-on-amazon-opensearch-service#31)
		// or left out (hardwarehacks.org, "Unexpected HTTP 504 errors from AWS
		// Elastic Load Balancers") moves the request, and every field with it.
		{"a field split in two", FormatALB, `https 2020-12-23T00:00:00.000000Z alb {Attacker IP}:00000 - -1 -1 -1 400 - 172 370 "GET http://[::ffff:a9fe:a9fe]:443/ HTTP/1.1" "Attcker UA" - - - "-" "-" "-" - 2020-12-22T23:59:59.000000Z "-" "-" "-" "-" "-" "-" "-"`, ErrInvalidField, "invalid field request"},
		{"two fields split in two", FormatClassic, `2020-12-23T00:00:00.000000Z clb {Attacker IP}:00000 {Backend IP}:10080 0.000041 0.010378 0.000037 400 400 0 2963 "GET https://[::ffff:a9fe:a9fe]:443/ HTTP/1.1" "Attacker UA" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2`, ErrInvalidField, "invalid field request"},
		{"a field left out", FormatClassic, `2015-12-11T13:42:07.736195Z my-elb - -1 -1 -1 504 0 0 0 "GET http://my-elb/ HTTP/1.1" "curl/7.19.7" - -`, ErrInvalidField, "invalid field request"},
		{"not a log line", FormatUnknown, `hello world`, ErrUnknownFormat, "not an ALB or Classic ELB access log line"},
		{"connection log line", FormatUnknown, `2026-11-26T00:00:00.000000Z 203.0.113.9 4431 443 TLSv1.3 - 0.001 - - - Success TID_0`, ErrUnknownFormat, "not an ALB or Classic ELB access log line"},
		{"Classic line in an ALB file", FormatALB, `2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -`, ErrInvalidField, "invalid field request"},
		{"ALB line in a Classic file", FormatClassic, prefix + `204 - 1 2 "GET / HTTP/1.1"`, ErrInvalidField, "invalid field request"},
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

func TestParseErrorText(t *testing.T) {
	const prefix = `http 2026-11-26T00:00:01.000000Z app/p/0 1.2.3.4:5 - -1 -1 -1 `
	parse := func(format Format, line string) error {
		p := Parser{Format: format}
		var r Record
		return p.Parse([]byte(line), &r)
	}
	long := strings.Repeat("x", 64)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"value shown whole", fieldError("time", []byte(long)), `time: invalid field "` + long + `"`},
		{"longer value shortened", fieldError("time", []byte(long+"y")), `time: invalid field "` + long + `…"`},
		{"too few ALB fields", parse(FormatALB, prefix+`204 - 1`), "too few fields: 11, need at least 13"},
		{"too few Classic fields", parse(FormatClassic, `2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29`), "too few fields: 11, need at least 12"},
		{"bare quote", parse(FormatALB, prefix+`204 - 1 2 "GET / HTTP/1.1"x "-"`), "column 88: quoted field not followed by a space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error")
			}
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestParseLenient shows the policy at work: a field that counting does
// not need never rejects its line, whatever it holds.
func TestParseLenient(t *testing.T) {
	const classic = `2015-05-13T23:39:43.945958Z lb %s %s %s %s %s %s %s %s %s "GET http://h:80/p HTTP/1.1" "-" - -`
	line := func(client, target, reqTime, targetTime, respTime, elbStatus, targetStatus, received, sent string) string {
		return fmt.Sprintf(classic, client, target, reqTime, targetTime, respTime, elbStatus, targetStatus, received, sent)
	}
	tests := []struct {
		name string
		line string
		want map[string]string
	}{
		// dangoldin/poor-mans-data-pipeline tests/test.py: a Classic load
		// balancer without instances logs a target status of 0.
		{"instance-less 503", `2016-10-22T22:35:17.425648Z poor-mans-data-pipeline 1.2.3.4:5 - -1 -1 -1 503 0 0 0 "GET http://poor-mans-data-pipeline.us-east-1.elb.amazonaws.com:80/PATH123 HTTP/1.1" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.143 Safari/537.36" - -`, map[string]string{
			"ELBStatusCode": "503", "TargetStatusCode": "0", "Target": "<nil>", "RequestProcessingTime": "-1ns", "SentBytes": "0",
			"URL": "http://poor-mans-data-pipeline.us-east-1.elb.amazonaws.com:80/PATH123",
		}},
		// allinurl/goaccess#821: TCP listener lines with one status code of two.
		{"ELB status absent, back end's logged", `2017-06-19T06:00:41.850756Z kkk 333.87.128.7:61620 199.18.0.105:443 0.000391 0.000009 0.000012 - 500 688 5471 "- - - " "-" - -`, map[string]string{
			"ELBStatusCode": "0", "TargetStatusCode": "500", "Client": "333.87.128.7", "Method": "<nil>",
		}},
		// toshihirock/node-elb-log-parser test.js
		{"back end logged as -1", `2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 -1 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2`, map[string]string{
			"Target": "-1", "TargetPort": "0", "RequestProcessingTime": "1.065ms", "SSLProtocol": "TLSv1.2",
		}},
		{"client without a port", line("203.0.113.9", "-", "0.1", "0.1", "0.1", "200", "200", "1", "2"), map[string]string{
			"Client": "203.0.113.9", "ClientPort": "0",
		}},
		{"port out of range", line("203.0.113.9:70000", "10.0.0.1:x", "0.1", "0.1", "0.1", "200", "200", "1", "2"), map[string]string{
			"Client": "203.0.113.9:70000", "ClientPort": "0", "Target": "10.0.0.1:x", "TargetPort": "0",
		}},
		{"masked client", line("xx.xx.xx.xx:47772", "[2001:db8::1]:80", "0.1", "0.1", "0.1", "200", "200", "1", "2"), map[string]string{
			"Client": "xx.xx.xx.xx", "ClientPort": "47772", "Target": "2001:db8::1", "TargetPort": "80",
		}},
		{"odd status codes", line("1.2.3.4:5", "-", "0.1", "0.1", "0.1", "2000", "abc", "1", "2"), map[string]string{
			"ELBStatusCode": "2000", "TargetStatusCode": "0",
		}},
		{"odd processing times", line("1.2.3.4:5", "-", "-2", ".5", "1.2.3", "200", "200", "1", "2"), map[string]string{
			"RequestProcessingTime": "-1ns", "TargetProcessingTime": "-1ns", "ResponseProcessingTime": "-1ns",
		}},
		{"odd byte counts", line("1.2.3.4:5", "-", "0.1", "0.1", "0.1", "200", "200", "1k", "-"), map[string]string{
			"ReceivedBytes": "0", "SentBytes": "0",
		}},
		{"unreadable request_creation_time", `http 2026-11-26T00:00:01.000000Z app/p/0 1.2.3.4:5 - -1 -1 -1 204 - 1 2 "GET / HTTP/1.1" "-" - - - "-" "-" "-" 0 yesterday "fixed-response"`, map[string]string{
			"RequestCreationTime": "<zero>", "ActionsExecuted": "fixed-response", "MatchedRulePriority": "0",
		}},
		{"port at the top of the range, and one past it", line("203.0.113.9:65535", "10.0.0.1:65536", "0.1", "0.1", "0.1", "200", "200", "1", "2"), map[string]string{
			"Client": "203.0.113.9", "ClientPort": "65535", "Target": "10.0.0.1:65536", "TargetPort": "0",
		}},
		{"port without a host", line(":80", "[]:443", "0.1", "0.1", "0.1", "200", "200", "1", "2"), map[string]string{
			"Client": "", "ClientPort": "80", "Target": "", "TargetPort": "443",
		}},
		{"nine-digit status codes, and ten", line("1.2.3.4:5", "-", "0.1", "0.1", "0.1", "123456789", "1234567890", "1", "2"), map[string]string{
			"ELBStatusCode": "123456789", "TargetStatusCode": "0",
		}},
		{"eighteen-digit byte count, and nineteen", line("1.2.3.4:5", "-", "0.1", "0.1", "0.1", "200", "200", "999999999999999999", "1000000000000000000"), map[string]string{
			"ReceivedBytes": "999999999999999999", "SentBytes": "0",
		}},
		{"line ending at the user agent", `2014-02-15T23:39:43.945958Z my-test-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0"`, map[string]string{
			"Format": "classic", "UserAgent": "curl/7.38.0", "SSLCipher": "<nil>", "SSLProtocol": "<nil>",
		}},
		{"line ending at the cipher", `2014-02-15T23:39:43.945958Z my-test-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" ECDHE-RSA-AES128-GCM-SHA256`, map[string]string{
			"Format": "classic", "UserAgent": "curl/7.38.0", "SSLCipher": "ECDHE-RSA-AES128-GCM-SHA256", "SSLProtocol": "<nil>",
		}},
		{"line ending at the request", `2014-02-15T23:39:43.945958Z my-test-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1"`, map[string]string{
			"Format": "classic", "URL": "http://www.example.com:80/", "UserAgent": "<nil>",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			var r Record
			if err := p.Parse([]byte(tt.line), &r); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkFields(t, &r, tt.want)
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

// Files that passed through tools writing CRLF parse as their LF originals
// when read the way the pipeline reads them, through a logstream.LineReader.
func TestParseCRLFFileThroughLineReader(t *testing.T) {
	for _, name := range []string{"alb.log", "classic.log"} {
		t.Run(name, func(t *testing.T) {
			var lf, crlf []byte
			for _, l := range testdataLines(t, name) {
				lf = append(append(lf, l...), '\n')
				crlf = append(append(crlf, l...), "\r\n"...)
			}
			want := parseStream(t, lf)
			got := parseStream(t, crlf)
			if len(got) != len(want) {
				t.Fatalf("CRLF copy gave %d records, LF %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("line %d: CRLF copy parsed as\n%v\nwant\n%v", i+1, got[i], want[i])
				}
			}
		})
	}
}

// parseStream parses every line of data and returns the records' fields;
// a line that does not parse fails the test.
func parseStream(t *testing.T, data []byte) []map[string]string {
	t.Helper()
	d, err := logstream.Open(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	lines := logstream.NewLineReader(d, logstream.MaxLineLength)
	var p Parser
	var records []map[string]string
	for {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			return records
		}
		if err != nil {
			t.Fatal(err)
		}
		var r Record
		if err := p.Parse(line, &r); err != nil {
			t.Fatalf("line %d: %v", lines.Line(), err)
		}
		records = append(records, fieldsOf(&r))
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
		{"empty method", " /p HTTP/1.1", "", "/p", "HTTP/1.1"},
		{"empty URL", "GET  HTTP/1.1", "GET", "", "HTTP/1.1"},
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
		{"2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z"}, // divisible by 400: leap
		{"1900-02-29T00:00:00Z", ""},                     // by 100 only: not
		{"2018-01-01T00:00:00Z", "2018-01-01T00:00:00Z"},
		{"2018-12-31T23:59:59Z", "2018-12-31T23:59:59Z"},
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
	}{
		{"0.000", 0},
		{"0.000073", 73 * time.Microsecond},
		{"1.5", 1500 * time.Millisecond},
		{"12", 12 * time.Second},
		{"123456789", 123456789 * time.Second},
		{"0.0000000019", 1}, // past nanoseconds: dropped
		{"-1", Unmeasured},
		{"-", Unmeasured},
		{"", Unmeasured},
		{".5", Unmeasured},
		{"1.2.3", Unmeasured},
		{"-2", Unmeasured},
		{"1234567890", Unmeasured}, // longer than any timeout
	}
	for _, tt := range tests {
		if got := parseSeconds([]byte(tt.in)); got != tt.want {
			t.Errorf("parseSeconds(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
