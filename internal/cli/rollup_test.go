package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

// summaryDir lays out summaries as the function writes them, under
// root/bucket/summaries/, and returns that folder.
func summaryDir(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"dt=2026-11-25/a.csv":   "date,query:ev,count\n2026-11-25,signup,2\n",
		"dt=2026-11-26/a.csv":   "date,query:ev,count\n2026-11-26,click,1\n2026-11-26,signup,4\n",
		"dt=2026-11-26/b.jsonl": `{"date":"2026-11-26","query:ev":"signup","count":3}` + "\n",
		".hidden/dt=2026-11-27": "not a summary",
	}
	for name, body := range files {
		p := filepath.Join(root, "bkt", "summaries", filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "bkt", "summaries")
}

func run(t *testing.T, e *env, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	if e == nil {
		e = &env{}
	}
	e.ctx, e.stdout, e.stderr = context.Background(), &out, &errOut
	code = e.main(args)
	return out.String(), errOut.String(), code
}

func TestRollupDirectory(t *testing.T) {
	dir := summaryDir(t)
	rollups := filepath.Join(filepath.Dir(dir), "rollups")
	stdout, stderr, code := run(t, nil, "rollup", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "2026-11-25: written: 1 inputs, 1 rows, 2 requests -> " + filepath.Dir(dir) + "/rollups/dt=2026-11-25/rollup.jsonl\n" +
		"2026-11-26: written: 2 inputs, 2 rows, 8 requests -> " + filepath.Dir(dir) + "/rollups/dt=2026-11-26/rollup.jsonl\n"
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	got, _ := os.ReadFile(filepath.Join(rollups, "dt=2026-11-26", "rollup.jsonl"))
	if w := `{"date":"2026-11-26","query:ev":"click","count":1}` + "\n" + `{"date":"2026-11-26","query:ev":"signup","count":7}` + "\n"; string(got) != w {
		t.Errorf("rollup:\n%s\nwant:\n%s", got, w)
	}

	stdout, _, code = run(t, nil, "rollup", dir+"/")
	if code != 0 || stdout != "2026-11-25: unchanged: 1 inputs\n2026-11-26: unchanged: 2 inputs\n" {
		t.Errorf("again: exit %d, stdout:\n%s", code, stdout)
	}
	stdout, _, code = run(t, nil, "rollup", "--since", "2026-11-26", "--until", "2026-11-27", dir)
	if code != 0 || stdout != "2026-11-26: unchanged: 2 inputs\n2026-11-27: no summaries\n" {
		t.Errorf("a range: exit %d, stdout:\n%s", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(rollups, "dt=2026-11-27")); err == nil {
		t.Error("a rollup written for a date without summaries")
	}

	// A summary that cannot be read fails its date only.
	os.WriteFile(filepath.Join(dir, "dt=2026-11-25", "c.csv"), []byte("date,query:ev,count\n2026-11-25,x,many\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "dt=2026-11-26", "c.csv"), []byte("date,query:ev,count\n2026-11-26,x,1\n"), 0o644)
	stdout, stderr, code = run(t, nil, "rollup", dir)
	if code != 1 || !strings.Contains(stderr, "dt=2026-11-25/c.csv: line 2: count \"many\"") || !strings.Contains(stderr, "1 of 2 dates failed") ||
		!strings.Contains(stdout, "2026-11-26: written: 3 inputs") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestRollupS3(t *testing.T) {
	client := fakeS3(t)
	store := objstore.S3{Client: client}
	ctx := context.Background()
	store.Put(ctx, "logs", "summaries/dt=2026-11-26/a.csv", []byte("date,path,count\n2026-11-26,/,2\n"), objstore.PutOptions{})
	store.Put(ctx, "logs", "summaries/dt=2026-11-26/b.csv", []byte("date,path,status,count\n2026-11-26,/,204,3\n2026-11-26,/,404,1\n"), objstore.PutOptions{})

	// The inputs' columns differ: the group-by says what to roll up to.
	_, stderr, code := run(t, nil, "rollup", "s3://logs/summaries")
	if code != 1 || !strings.Contains(stderr, "pass the group-by") {
		t.Errorf("without --group-by: exit %d, stderr:\n%s", code, stderr)
	}
	stdout, stderr, code := run(t, nil, "rollup", "--group-by", "date,path", "--date", "2026-11-26", "s3://logs/summaries")
	if code != 0 || stdout != "2026-11-26: written: 2 inputs, 1 rows, 6 requests -> s3://logs/rollups/dt=2026-11-26/rollup.jsonl\n" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	got, _ := objstoretest.Objects(ctx, store, "logs", "rollups/")
	if want := map[string]string{"rollups/dt=2026-11-26/rollup.jsonl": `{"date":"2026-11-26","path":"/","count":6}` + "\n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rollups %q, want %q", got, want)
	}
	_, stderr, code = run(t, nil, "rollup", "--rollup-prefix", "summaries/r/", "s3://logs/summaries/")
	if code != 1 || !strings.Contains(stderr, "overlap") {
		t.Errorf("overlapping prefixes: exit %d, stderr:\n%s", code, stderr)
	}
}

// On a terminal, a progress line is drawn on stderr and wiped before each
// result and at the end; elsewhere there is none.
func TestRollupProgress(t *testing.T) {
	dir := summaryDir(t)
	_, stderr, _ := run(t, &env{terminal: true}, "rollup", dir)
	for _, w := range []string{
		"\r\x1b[Krollup: 0/2 dates done; 2026-11-25: 1/1 inputs read\r\x1b[K",
		"\r\x1b[Krollup: 1/2 dates done; 2026-11-26: 2/2 inputs read\r\x1b[K",
	} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q lacks %q", stderr, w)
		}
	}
	if !strings.HasSuffix(stderr, "\r\x1b[K") {
		t.Errorf("the progress line is left on the screen: %q", stderr)
	}
	os.RemoveAll(filepath.Join(filepath.Dir(dir), "rollups"))
	if _, stderr, _ := run(t, &env{terminal: false}, "rollup", dir); stderr != "" {
		t.Errorf("not a terminal, but stderr %q", stderr)
	}
}

func TestRollupDates(t *testing.T) {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		opts rollupOpts
		want []string
	}{
		{rollupOpts{}, nil},
		{rollupOpts{date: "2026-02-28"}, []string{"2026-02-28"}},
		{rollupOpts{since: "2026-11-24"}, []string{"2026-11-24", "2026-11-25", "2026-11-26"}},
		{rollupOpts{since: "2024-02-28", until: "2024-03-01"}, []string{"2024-02-28", "2024-02-29", "2024-03-01"}},
		{rollupOpts{since: "2026-11-26", until: "2026-11-26"}, []string{"2026-11-26"}},
	}
	for _, tt := range tests {
		got, err := tt.opts.dateRange(now)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v: %q, %v; want %q", tt.opts, got, err, tt.want)
		}
	}
	for _, bad := range []rollupOpts{{date: "2026-02-30"}, {until: "2026-11-26"}, {since: "26-11-2026"}, {since: "2026-11-26", until: "2026-11-25"}, {date: "2026-11-26", since: "2026-11-25"}} {
		if _, err := bad.dateRange(now); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// pmdp process rolls up every date it wrote summaries for, so that a
// reprocessed late file reaches its rollup.
func TestProcessBuildsRollups(t *testing.T) {
	client := fakeS3(t)
	var plain bytes.Buffer
	res, _ := loggen.Write(&plain, loggen.Config{Seed: 8, Lines: 2000, Start: time.Date(2025, 1, 1, 23, 58, 0, 0, time.UTC)})
	putObject(t, client, processName("a1"), loggen.Gzip(plain.Bytes()))
	stdout, stderr, code := run(t, nil, "process", "--group-by", "date,query:ev", "s3://logs/"+processName("a1"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, d := range []string{"2025-01-01", "2025-01-02"} {
		if !strings.Contains(stdout, d+": written: 1 inputs") {
			t.Errorf("stdout lacks the rollup of %s:\n%s", d, stdout)
		}
	}
	rows, _ := res.Expected([]string{"date", "query:ev"})
	var want strings.Builder
	for _, r := range rows {
		if r.Values[0] == "2025-01-02" {
			want.WriteString(`{"date":"2025-01-02","query:ev":` + jsonQuote(r.Values[1]) + `,"count":` + itoa(r.Count) + "}\n")
		}
	}
	got, _ := objstoretest.Objects(context.Background(), objstore.S3{Client: client}, "logs", "rollups/")
	if got["rollups/dt=2025-01-02/rollup.jsonl"] != want.String() {
		t.Errorf("rollup of 2025-01-02:\n%s\nwant:\n%s", got["rollups/dt=2025-01-02/rollup.jsonl"], want.String())
	}
	stdout, _, _ = run(t, nil, "process", "--group-by", "date,query:ev", "s3://logs/"+processName("a1"))
	if !strings.Contains(stdout, "2025-01-02: unchanged: 1 inputs") {
		t.Errorf("reprocessing rewrote the rollup:\n%s", stdout)
	}
}

// jsonQuote is s as a JSON string, as rollups write it: HTML characters
// as they are.
func jsonQuote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
