package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/pmdp/pmdp/internal/loggen"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// The parser's own samples, so the two packages test the same lines.
const (
	albSamples     = "../accesslog/testdata/alb.log"
	classicSamples = "../accesslog/testdata/classic.log"
	// What a load balancer whose HTTP listener redirects to HTTPS logs:
	// a browser and a crawler redirected, a visit over HTTPS at once, and a
	// script that WAF blocked.
	redirects = "testdata/redirect.log"
)

const awsDir = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/"

// layout builds a log folder the way ALB delivers it, gzipping at test time
// so that no binary fixtures are committed.
func layout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	put := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put(awsDir+"123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz", loggen.Gzip(read(t, albSamples)))
	put(awsDir+"123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T1005Z_10.0.1.5_b2.log.gz", loggen.Gzip(read(t, "testdata/rejects.log")))
	put(awsDir+"123456789012_elasticloadbalancing_us-east-2_my-classic_20150513T2340Z_10.0.1.6_c3.log", read(t, classicSamples))
	put(awsDir+"conn_log_123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_d4.log.gz", loggen.Gzip([]byte("2026-11-26T00:00:00.000000Z 203.0.113.9 4431 443 TLSv1.3 - 0.001 - - - Success TID_0\n")))
	put("AWSLogs/123456789012/ELBAccessLogTestFile", []byte("Enable AccessLog for ELB: pmdp at 2026-11-26T00:00:00.000Z"))
	put("notes/README.txt", []byte("these are our logs\n"))
	put(".hidden/skipped.log", read(t, albSamples))
	return dir
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGolden runs the command on known inputs and compares its stdout,
// stderr and exit status with testdata/golden. Run with -update to
// rewrite them after a deliberate change, and review the diff.
func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		args  []string // $DIR is the log folder, $SAMPLES the parser's ALB samples
		stdin string
		code  int
	}{
		{"default", []string{"summarize", "$SAMPLES"}, "", 0},
		{"every dimension as jsonl", []string{"summarize", "--group-by", "hour,status,method,host,type,query:ev", "--format", "jsonl", "$SAMPLES"}, "", 0},
		{"flags after paths", []string{"summarize", "$SAMPLES", "--group-by", "path,host"}, "", 0},
		{"folder", []string{"summarize", "$DIR"}, "", 0},
		{"folder by status", []string{"summarize", "--group-by=date,status", "$DIR"}, "", 0},
		{"stdin", []string{"summarize", "-"}, "2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.1 0.1 0.1 200 200 0 29 \"GET http://h:80/from-stdin HTTP/1.1\" \"-\" - -\n", 0},
		{"explicit non-log file", []string{"summarize", "$DIR/notes/README.txt"}, "", 0},
		{"missing file", []string{"summarize", "$DIR/nope.log.gz", "$SAMPLES"}, "", 1},
		{"capped", []string{"summarize", "--max-groups", "3", "$SAMPLES"}, "", 0},
		{"capped by hour and status", []string{"summarize", "--max-groups", "2", "--group-by", "hour,path,status", "$SAMPLES"}, "", 0},
		{"bad max-groups", []string{"summarize", "--max-groups", "0", "$SAMPLES"}, "", 2},
		{"distinct visitors", []string{"summarize", "--distinct", "visitor", "$SAMPLES"}, "", 0},
		{"distinct events as jsonl", []string{"summarize", "--distinct", "query:ev", "--group-by", "date,bot", "--format", "jsonl", redirects}, "", 0},
		{"bad distinct", []string{"summarize", "--distinct", "query:", "$SAMPLES"}, "", 2},
		{"redirects counted twice", []string{"summarize", "--group-by", "date,query:ev,action,bot", redirects}, "", 0},
		{"redirects excluded", []string{"summarize", "--exclude", "action=redirect", "--group-by", "date,query:ev", redirects}, "", 0},
		{"people only", []string{"summarize", "--exclude", "action=redirect", "--include", "bot=no;status=204", "--group-by", "query:ev,type", redirects}, "", 0},
		{"filters on Classic", []string{"summarize", "--exclude", "action=redirect", "--include", "action=-", "$DIR"}, "", 0},
		{"bad flags", []string{"summarize", "--group-by", "date,colour,,", "--format", "xml", "--include", "bot=maybe", "--exclude", "actions=redirect;", "$SAMPLES"}, "", 2},
		{"no paths", []string{"summarize"}, "", 2},
		{"unknown command", []string{"summarise"}, "", 2},
		{"help", []string{"help", "summarize"}, "", 0},
		{"help local", []string{"help", "local"}, "", 0},
		{"help generate", []string{"help", "generate"}, "", 0},
		{"help process", []string{"help", "process"}, "", 0},
		{"help backfill", []string{"help", "backfill"}, "", 0},
		{"help rollup", []string{"help", "rollup"}, "", 0},
		{"rollup bad flags", []string{"rollup", "--date", "2026-11-31", "--since", "2026-11-01", "--group-by", "date,colour", "--rollup-prefix", "rollups", "--max-groups", "none", "--distinct", "ip"}, "", 2},
		{"rollup until before since", []string{"rollup", "--since", "2026-11-02", "--until", "2026-11-01", "$DIR", "$DIR"}, "", 2},
		{"rollup of a missing directory", []string{"rollup", "--date", "2026-11-26", "$DIR/nope"}, "", 1},
		{"rollup of a directory without summaries", []string{"rollup", "$DIR/notes"}, "", 1},
		{"overview", []string{"help"}, "", 0},
		{"local without its tools", []string{"local", "--interval", "5s"}, "", 2},
		{"local with bad function settings", []string{"local", "--versitygw", "/nonexistent/versitygw", "--rie", "/nonexistent/rie", "--group-by", "date,colour", "--format", "xml", "--exclude", "action", "extra"}, "", 2},
		{"local with a bad response", []string{"local", "--versitygw", "/nonexistent/versitygw", "--rie", "/nonexistent/rie", "--status", "302", "--data", "$DIR/data"}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := layout(t)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				a = strings.ReplaceAll(a, "$DIR", dir)
				args[i] = strings.ReplaceAll(a, "$SAMPLES", albSamples)
			}
			var stdout, stderr bytes.Buffer
			code := Main(args, strings.NewReader(tt.stdin), &stdout, &stderr)
			errText := strings.ReplaceAll(stderr.String(), dir, "$DIR")
			golden(t, tt.name+".stdout", stdout.String())
			golden(t, tt.name+".stderr", errText)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, errText)
			}
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", strings.ReplaceAll(name, " ", "-"))
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// A corrupt file is reported by name and adds nothing; the other files
// are still counted and the exit status says something failed.
func TestCorruptFileDoesNotStopTheRun(t *testing.T) {
	dir := t.TempDir()
	good := loggen.Gzip(read(t, albSamples))
	bad := filepath.Join(dir, "bad.log.gz")
	if err := os.WriteFile(bad, good[:len(good)-30], 0o644); err != nil {
		t.Fatal(err)
	}
	var want, stdout, stderr bytes.Buffer
	if code := Main([]string{"summarize", albSamples}, nil, &want, &stderr); code != 0 {
		t.Fatalf("reference run failed: %s", &stderr)
	}
	stderr.Reset()
	code := Main([]string{"summarize", bad, albSamples}, nil, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), bad+": line ") || !strings.Contains(stderr.String(), "gzip") {
		t.Errorf("stderr does not name the file and the cause:\n%s", &stderr)
	}
	if stdout.String() != want.String() {
		t.Errorf("summary with a corrupt file\n%s\nwant only the good file's\n%s", &stdout, &want)
	}
}

func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sum.jsonl")
	if err := os.WriteFile(out, []byte("old content that must be replaced whole\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"summarize", "-o", out, "--format", "jsonl", albSamples}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout not empty with -o: %q", &stdout)
	}
	got := read(t, out)
	if !bytes.HasPrefix(got, []byte(`{"date":"2018-07-02","path":"/","count":2}`)) {
		t.Errorf("output file starts %q", got[:min(len(got), 80)])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// Writing to an existing special file (a pipe here, /dev/stdout in
// practice) must write into it, not replace it with a regular file.
func TestOutputToSpecialFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"summarize", "-o", fifo, albSamples}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if b := <-got; !bytes.HasPrefix(b, []byte("date,path,count\n")) {
		t.Errorf("read %q from the pipe", b)
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", info.Mode(), err)
	}
}

// summarize must print exactly the counts the generator knows to be true.
func TestSummarizeMatchesGenerator(t *testing.T) {
	dir := t.TempDir()
	logFile, wantFile := filepath.Join(dir, "gen.log.gz"), filepath.Join(dir, "want.csv")
	for _, groupBy := range []string{"date,path", "hour,method,status,host,type,query:ev"} {
		var stdout, stderr bytes.Buffer
		code := Main([]string{"generate", "--seed", "42", "--lines", "30000", "-o", logFile, "--expect", wantFile, "--group-by", groupBy}, nil, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("generate: exit %d: %s", code, &stderr)
		}
		stderr.Reset()
		if code := Main([]string{"summarize", "--group-by", groupBy, logFile}, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("summarize: exit %d: %s", code, &stderr)
		}
		if want := read(t, wantFile); stdout.String() != string(want) {
			t.Errorf("--group-by %s: summarize differs from the generator's truth", groupBy)
		}
		if !strings.Contains(stderr.String(), "lines rejected") {
			t.Errorf("the generator's unusable lines were not reported: %q", &stderr)
		}
	}
}

// The whole command under a cardinality flood, split over two files: the
// frequent paths keep their rows, exact, the one-off paths end in the
// (other) row, the total is exact, and stderr says how many went there.
func TestSummarizeKeepsFrequentPathsThroughAFlood(t *testing.T) {
	dir := t.TempDir()
	wantFile := filepath.Join(t.TempDir(), "want.csv")
	var want []string
	var stdout, stderr bytes.Buffer
	for i, seed := range []string{"1", "2"} {
		args := []string{"generate", "--seed", seed, "--flood", "30000", "--frequent", "20", "--per-path", "500",
			"--start", "2026-11-26T12:00:00Z", "--span", "5m", "-o", filepath.Join(dir, seed+".log.gz"), "--expect", wantFile}
		if code := Main(args, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("generate: exit %d: %s", code, &stderr)
		}
		rows := strings.Split(strings.TrimSpace(string(read(t, wantFile))), "\n")[1:]
		if i == 0 {
			want = rows
		} else if !slices.Equal(rows, want) {
			t.Fatalf("seeds differ in their frequent paths: %q and %q", want, rows)
		}
	}
	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"summarize", "--max-groups", "2000", dir}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("summarize: exit %d: %s", code, &stderr)
	}
	got := map[string]int{}
	var total, other int
	for _, row := range strings.Split(strings.TrimSpace(stdout.String()), "\n")[1:] {
		cut := strings.LastIndexByte(row, ',')
		n, _ := strconv.Atoi(row[cut+1:])
		got[row[:cut]] = n
		total += n
		if row[:cut] == "2026-11-26,(other)" {
			other = n
		}
	}
	if len(got) > 2001 {
		t.Errorf("%d rows: more than 2000 groups and (other)", len(got))
	}
	for _, w := range want {
		cut := strings.LastIndexByte(w, ',')
		if n, _ := strconv.Atoi(w[cut+1:]); got[w[:cut]] != 2*n {
			t.Errorf("%s: %d on its row, want %d", w[:cut], got[w[:cut]], 2*n)
		}
	}
	if total != 2*(30000+20*500) || other == 0 {
		t.Errorf("%d requests, %d in (other): want %d, some in (other)", total, other, 2*(30000+20*500))
	}
	wantErr := fmt.Sprintf("pmdp summarize: %d of %d requests counted in (other) rows: more than --max-groups 2000 groups\n", other, total)
	if stderr.String() != wantErr {
		t.Errorf("stderr %q, want %q", &stderr, wantErr)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	var a, b, stderr bytes.Buffer
	Main([]string{"generate", "--seed", "5", "--lines", "500"}, nil, &a, &stderr)
	Main([]string{"generate", "--lines", "500", "--seed", "5"}, nil, &b, &stderr)
	if a.Len() == 0 || a.String() != b.String() {
		t.Errorf("two runs with the same seed differ (%d and %d bytes)", a.Len(), b.Len())
	}
}

// Repeated filter flags are one filter, clauses joined as the function's
// environment joins them.
func TestFilterFlags(t *testing.T) {
	run := func(args ...string) (string, string, int) {
		var stdout, stderr bytes.Buffer
		code := Main(append(append([]string{"summarize", "--group-by", "query:ev"}, args...), redirects), nil, &stdout, &stderr)
		return stdout.String(), stderr.String(), code
	}
	repeated, _, code := run("--include", "bot=no", "--include", "status=204")
	joined, _, code2 := run("--include", "bot=no;status=204")
	if code != 0 || code2 != 0 || repeated != joined {
		t.Errorf("repeated flags gave\n%s(exit %d), one flag\n%s(exit %d)", repeated, code, joined, code2)
	}
	if want := "query:ev,count\npageview,1\nsignup,1\n"; repeated != want {
		t.Errorf("got\n%s\nwant\n%s", repeated, want)
	}
	if _, stderr, code := run("--exclude", " "); code != 2 || !strings.Contains(stderr, `invalid value " " for flag -exclude: empty filter`) {
		t.Errorf("an empty filter: exit %d, stderr %q", code, stderr)
	}
}
