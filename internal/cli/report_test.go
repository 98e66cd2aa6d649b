package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/report"
)

// reportData reads back the data a report page embeds.
func reportData(t *testing.T, page string) report.Data {
	t.Helper()
	_, rest, ok := strings.Cut(page, `<script type="application/json" id="pmdp-data">`)
	raw, _, _ := strings.Cut(rest, "</script>")
	var d report.Data
	if err := json.Unmarshal([]byte(raw), &d); !ok || err != nil {
		t.Fatalf("no data in the page (%v):\n%.300s", err, page)
	}
	return d
}

func TestReportGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"help report", []string{"help", "report"}, 0},
		{"report bad flags", []string{"report", "--since", "2026-11-31", "--until", "yesterday"}, 2},
		{"report until before since", []string{"report", "--since", "2026-11-02", "--until", "2026-11-01", "$DIR"}, 2},
		{"report of a directory without summaries", []string{"report", "$DIR/notes"}, 1},
		{"report of a range without summaries", []string{"report", "--since", "2026-11-27", "$SUMMARIES"}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, summaries := layout(t), summaryDir(t)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.NewReplacer("$DIR", dir, "$SUMMARIES", summaries).Replace(a)
			}
			stdout, stderr, code := run(t, nil, args...)
			golden(t, tt.name+".stdout", stdout)
			golden(t, tt.name+".stderr", strings.NewReplacer(dir, "$DIR", filepath.Dir(summaries), "$BUCKET").Replace(stderr))
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
		})
	}
}

// A report of a directory of summaries, to a file or to standard output,
// holds their counts by date and the values of their columns.
func TestReportDirectory(t *testing.T) {
	dir := summaryDir(t)
	out := filepath.Join(t.TempDir(), "report.html")
	stdout, stderr, code := run(t, nil, "report", "--title", "Our site", "-o", out, dir)
	if code != 0 || stdout != "" || !strings.HasPrefix(stderr, "pmdp report: 2026-11-25 to 2026-11-26, 10 requests -> "+out+" (") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	d := reportData(t, string(page))
	if got := strings.Join(d.Dates, " "); got != "2026-11-25 2026-11-26" || d.Requests[0] != 2 || d.Requests[1] != 8 {
		t.Errorf("dates %s, requests %v; want 2 and 8", got, d.Requests)
	}
	if len(d.Tables) != 1 || d.Tables[0].Column != "query:ev" || strings.Join(d.Tables[0].Values, " ") != "signup click" {
		t.Errorf("tables %+v", d.Tables)
	}
	if !strings.Contains(string(page), "<title>Our site</title>") {
		t.Error("the title flag is not the page's title")
	}

	stdout, _, code = run(t, nil, "report", "--since", "2026-11-26", dir)
	if d := reportData(t, stdout); code != 0 || strings.Join(d.Dates, " ") != "2026-11-26" || d.Requests[0] != 8 {
		t.Errorf("--since 2026-11-26 to stdout: exit %d, dates %q, requests %v", code, d.Dates, d.Requests)
	}
}

// Sources in S3 and on disk add up.
func TestReportS3AndDirectory(t *testing.T) {
	store := objstore.S3{Client: fakeS3(t)}
	store.Put(context.Background(), "logs", "rollups/dt=2026-11-27/rollup.jsonl", []byte(`{"date":"2026-11-27","query:ev":"click","count":5}`+"\n"), objstore.PutOptions{})
	stdout, stderr, code := run(t, nil, "report", "s3://logs/rollups/", summaryDir(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	d := reportData(t, stdout)
	if got := strings.Join(d.Dates, " "); got != "2026-11-25 2026-11-26 2026-11-27" || d.Requests[2] != 5 {
		t.Errorf("dates %s, requests %v", got, d.Requests)
	}
}
