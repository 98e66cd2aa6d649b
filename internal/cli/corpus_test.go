package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The corpus under testdata/corpus holds access-log lines published by
// others: AWS documentation examples of every version, other parsers' test
// data and lines pasted in public bug reports. testdata/corpus/sources.txt
// says where each comes from. summarize must count every one of them.
const corpusDir = "testdata/corpus"

var corpusFiles = []string{"alb.log", "classic.log"}

// corpusGroupBy is every dimension that does not need a parameter name.
const corpusGroupBy = "date,hour,path,method,status,host,type"

type corpusLine struct {
	at   string // file:line
	text string
}

func readCorpus(t *testing.T) []corpusLine {
	t.Helper()
	var lines []corpusLine
	for _, name := range corpusFiles {
		data := read(t, filepath.Join(corpusDir, name))
		if !bytes.HasSuffix(data, []byte("\n")) || bytes.Contains(data, []byte("\r")) {
			t.Fatalf("%s: every line must end in a bare \\n", name)
		}
		for i, text := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			lines = append(lines, corpusLine{at: fmt.Sprintf("%s:%d", name, i+1), text: text})
		}
	}
	return lines
}

// summarizeCorpusLine runs `pmdp summarize` on one line given on standard
// input and returns its one row, without the count.
func summarizeCorpusLine(t *testing.T, line string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main([]string{"summarize", "--group-by", corpusGroupBy, "-"}, strings.NewReader(line+"\n"), &stdout, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Fatalf("summarize exited %d:\n%s", code, &stderr)
	}
	rows := csvRows(t, stdout.String())
	if len(rows) != 1 || rows[0][len(rows[0])-1] != "1" {
		t.Fatalf("summarize gave %q, want one row counting 1", rows)
	}
	return csvLine(rows[0][:len(rows[0])-1])
}

// csvRows parses summarize's CSV output and drops its header.
func csvRows(t *testing.T, out string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != corpusGroupBy+",count" {
		t.Fatalf("output does not start with the header %s,count:\n%s", corpusGroupBy, out)
	}
	return rows[1:]
}

func csvLine(values []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(values)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// TestCorpusSources checks that sources.txt names one source for every line
// of the corpus, and no line that is not there.
func TestCorpusSources(t *testing.T) {
	lines := readCorpus(t)
	covered := map[string]int{}
	sources := map[string]bool{}
	entry := regexp.MustCompile(`^([a-z]+\.log):(\d+)(?:-(\d+))?\t(https://\S+)\t(\S.*)$`)
	f, err := os.Open(filepath.Join(corpusDir, "sources.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		m := entry.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("sources.txt:%d: want FILE:FIRST[-LAST], a tab, a URL, a tab, a note; got %q", n, sc.Text())
		}
		first, _ := strconv.Atoi(m[2])
		last := first
		if m[3] != "" {
			last, _ = strconv.Atoi(m[3])
		}
		for i := first; i <= last; i++ {
			covered[fmt.Sprintf("%s:%d", m[1], i)]++
		}
		sources[origin(m[4])] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if covered[l.at] != 1 {
			t.Errorf("%s is named by %d entries of sources.txt, want 1", l.at, covered[l.at])
		}
		delete(covered, l.at)
	}
	for at := range covered {
		t.Errorf("sources.txt names %s, which the corpus does not have", at)
	}
	t.Logf("%d lines from %d sources", len(lines), len(sources))
}

// origin is the repository, issue thread or page a source URL points into.
func origin(url string) string {
	if m := regexp.MustCompile(`^https://github\.com/[^/]+/[^/]+`).FindString(url); m != "" && strings.Contains(url, "/blob/") {
		return m
	}
	return url
}

// TestCorpusCountsEveryLine runs summarize on the corpus files as a user
// would: no line may be rejected, the counts must add up to the number of
// lines, and a CRLF copy of the files must give the same summary.
func TestCorpusCountsEveryLine(t *testing.T) {
	lines := readCorpus(t)
	crlfDir := t.TempDir()
	var paths, crlfPaths []string
	for _, name := range corpusFiles {
		paths = append(paths, filepath.Join(corpusDir, name))
		crlf := bytes.ReplaceAll(read(t, filepath.Join(corpusDir, name)), []byte("\n"), []byte("\r\n"))
		p := filepath.Join(crlfDir, name)
		if err := os.WriteFile(p, crlf, 0o644); err != nil {
			t.Fatal(err)
		}
		crlfPaths = append(crlfPaths, p)
	}
	run := func(paths []string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"summarize", "--group-by", corpusGroupBy}, paths...), nil, &stdout, &stderr)
		if code != 0 || stderr.Len() != 0 {
			t.Fatalf("summarize %s exited %d:\n%s", strings.Join(paths, " "), code, &stderr)
		}
		return stdout.String()
	}
	out := run(paths)
	var total int
	for _, row := range csvRows(t, out) {
		n, err := strconv.Atoi(row[len(row)-1])
		if err != nil {
			t.Fatalf("row %q: count: %v", row, err)
		}
		total += n
	}
	if total != len(lines) {
		t.Errorf("summarize counted %d requests in %d lines", total, len(lines))
	}
	if crlf := run(crlfPaths); crlf != out {
		t.Errorf("the CRLF copy summarizes as\n%s\nwant\n%s", crlf, out)
	}
}

// TestCorpusLineByLine summarizes each corpus line alone and compares the
// rows with testdata/corpus/summaries.golden; -update rewrites it, and its
// diff must be read against DESIGN.md's dimensions line by line. The rows
// added up must also equal the summary of the whole files, where the
// format is detected once per file.
func TestCorpusLineByLine(t *testing.T) {
	lines := readCorpus(t)
	var golden strings.Builder
	golden.WriteString("line," + corpusGroupBy + "\n")
	perLine := map[string]int{}
	for _, l := range lines {
		row := summarizeCorpusLine(t, l.text)
		perLine[row]++
		golden.WriteString(l.at + "," + row + "\n")
	}
	path := filepath.Join(corpusDir, "summaries.golden")
	if *update {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := string(read(t, path)); golden.String() != want {
		t.Errorf("the rows differ from %s (go test -update rewrites it); got:\n%s", path, golden.String())
	}

	var stdout, stderr bytes.Buffer
	args := []string{"summarize", "--group-by", corpusGroupBy}
	for _, name := range corpusFiles {
		args = append(args, filepath.Join(corpusDir, name))
	}
	if code := Main(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("summarize exited %d:\n%s", code, &stderr)
	}
	whole := map[string]int{}
	for _, row := range csvRows(t, stdout.String()) {
		n, _ := strconv.Atoi(row[len(row)-1])
		whole[csvLine(row[:len(row)-1])] = n
	}
	for row, n := range perLine {
		if whole[row] != n {
			t.Errorf("row %s: %d lines alone, %d in the whole files", row, n, whole[row])
		}
		delete(whole, row)
	}
	for row := range whole {
		t.Errorf("row %s: in the whole files only", row)
	}
}

// TestCorpusTrickyLines spells out, from DESIGN.md's dimensions, what the
// lines that trip parsers up must count as: date,hour,path,method,status,
// host,type. Each line is found by a fragment only it holds.
func TestCorpusTrickyLines(t *testing.T) {
	tests := []struct{ name, fragment, want string }{
		{"instance-less Classic 503, the seed's own scenario", "poor-mans-data-pipeline.us-east-1",
			"2016-10-22,2016-10-22T22,/PATH123,GET,503,poor-mans-data-pipeline.us-east-1.elb.amazonaws.com,-"},
		{"instance-less Classic 503 on HTTPS", "2015-03-27T07:06:41.177907Z",
			"2015-03-27,2015-03-27T07,/,GET,503,www.example.com,-"},
		{"Classic TCP listener", `0.000041 - - 82 305 "- - - "`,
			"2015-05-13,2015-05-13T23,-,-,-,-,-"},
		{"Classic SSL listener", `my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502`,
			"2015-05-13,2015-05-13T23,-,-,-,-,-"},
		{"ELB status absent, back end's 500 logged", "0.000012 - 500",
			"2017-06-19,2017-06-19T06,-,-,-,-,-"},
		{"back end logged as -1", "192.168.131.39:2817 -1 0.001065",
			"2015-05-13,2015-05-13T23,-,-,-,-,-"},
		{"Classic line ending at the request", "my-test-loadbalancer",
			"2014-02-15,2014-02-15T23,/,GET,200,www.example.com,-"},
		{"Classic quotes escaped with a backslash", `"Optional(\"Mozilla/5.0`,
			"2015-11-07,2015-11-07T18,/,GET,200,example.com,-"},
		{"Classic query left out of the path", "/p/a/t/h?foo=bar&hoge=fuga",
			"2015-05-13,2015-05-13T23,/p/a/t/h,GET,200,mytest-111.ap-northeast-1.elb.amazonaws.com,-"},
		{"Classic percent-encoding kept", "/ara?q=d%C3%B6vme",
			"2015-11-07,2015-11-07T18,/ara,GET,302,example.com,-"},
		{"ALB malformed request", `"- http://awseb-awseb-1kgu6fbag3fad-640112591.us-east-1.elb.amazonaws.com:80- -"`,
			"2021-03-17,2021-03-17T18,-,-,400,-,http"},
		{"ALB malformed request without the version dash", `"- http://example.com:8080- "`,
			"2022-11-03,2022-11-03T21,-,-,400,-,http"},
		{"URL without port or path", `"GET https://example.com HTTP/2.0"`,
			"2022-11-01,2022-11-01T23,/,GET,200,example.com,h2"},
		{"any token is a method", "SSTP_DUPLEX_POST",
			"2022-11-02,2022-11-02T16,/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/,SSTP_DUPLEX_POST,400,10.100.10.100,https"},
		{"a method starting with dashes", `"--location`,
			"2023-06-01,2023-06-01T12,/,--location,200,example.com,https"},
		{"version followed by a space", `HTTP/1.0 " "-"`,
			"2020-01-01,2020-01-01T22,/,GET,404,myalb-012345678.ap-northeast-2.elb.amazonaws.com,http"},
		{"space in the URI", "/hello world HTTP/1.1",
			"2018-08-26,2018-08-26T14,/hello world,GET,301,example.com,http"},
		{"percent-encoding kept as logged, even invalid", "%%32%65%%32%65",
			"2023-04-26,2023-04-26T19,/%%32%65%%32%65/,GET,404,api.example.com,https"},
		{"query with a semicolon", "poller_id=;ping",
			"2023-04-26,2023-04-26T19,/remote_agent.php,GET,404,cacti.example.com,https"},
		{"date from time, not request_creation_time", "192.168.1.17:44740",
			"2023-04-26,2023-04-26T12,/robots.txt,GET,200,www.example.com,https"},
		{"part of the line pasted twice", "Root=1-6449814c-373 HTTP/1.1",
			"2023-04-26,2023-04-26T19,/%24%7B%28%23a%3D%40org.apache.commons.io.IOUtils%40toString%28%40java.lang.Runtime%40getRuntime%28%29.exec%28%22id%22%29.getInputStream%28%29%2C%22utf-8%22%29%29.%28%40com.opensymphony.webwork.ServletActionContext%40getResponse%28%29.setHeader%28%22X-Cmd-Response%22%2C%23a%29%29%7D/,GET,404,api.example.com,https"},
		{"grpcs", "MetricsService/ReportMetrics",
			"2024-01-15,2024-01-15T12,/example.metrics.v1.MetricsService/ReportMetrics,POST,200,metrics.example.com,grpcs"},
		{"wss", `"10.0.0.171:8010" "101"`,
			"2018-07-02,2018-07-02T22,/,GET,101,10.0.0.30,wss"},
		{"h2 connection carrying an HTTP/1.1 request", "alb-example.ap-northeast-1",
			"2024-05-28,2024-05-28T13,/,GET,200,alb-example.ap-northeast-1.elb.amazonaws.com,h2"},
		{"colon in the path", "/todo:8080",
			"2018-03-06,2018-03-06T08,/todo:8080,GET,404,march-alb-test-1244652616.us-east-1.elb.amazonaws.com,http"},
		{"fields past the known ones", `"FOO BAR" BAZ`,
			"2020-08-27,2020-08-27T16,/path,GET,200,example.com,http"},
		{"2025 fields", "TransformSuccess",
			"2018-07-02,2018-07-02T22,/,GET,200,www.example.com,https"},
		{"bracketed IPv6 client", "[fe80::202:b3ff:fe1e:8329]:443",
			"2018-07-02,2018-07-02T22,/,GET,200,www.example.com,https"},
		{"IPv6 client without brackets", "2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc:50599",
			"2021-03-16,2021-03-16T20,/api/deposits/transactions:search,POST,200,test.domain.com,https"},
		{"masked client", "x.x.x.x:58463",
			"2019-10-30,2019-10-30T15,/,GET,500,app.domain.com,http"},
		{"user agent of \\x escapes", `\xEC\x97\x90`,
			"2020-01-11,2020-01-11T01,/very/good/route,GET,200,example.com,h2"},
		{"Lambda target that failed", `502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "LambdaInvalidResponse" "-"`,
			"2018-11-30,2018-11-30T22,/,GET,502,www.example.com,http"},
		{"WAF in front of a fixed response, SNI of \"*\"", `"*" "arn:aws:acm:ap-northeast-2`,
			"2022-11-02,2022-11-02T16,/,GET,503,10.100.10.100,https"},
	}
	lines := readCorpus(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := slices.IndexFunc(lines, func(l corpusLine) bool { return strings.Contains(l.text, tt.fragment) })
			if i < 0 {
				t.Fatalf("no corpus line holds %q", tt.fragment)
			}
			if j := slices.IndexFunc(lines[i+1:], func(l corpusLine) bool { return strings.Contains(l.text, tt.fragment) }); j >= 0 {
				t.Fatalf("%s and %s both hold %q", lines[i].at, lines[i+1+j].at, tt.fragment)
			}
			if got := summarizeCorpusLine(t, lines[i].text); got != tt.want {
				t.Errorf("%s counts as\n%s\nwant\n%s", lines[i].at, got, tt.want)
			}
		})
	}
}
