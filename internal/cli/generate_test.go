package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every flag is checked before anything is written, so a mistake leaves
// neither the log nor the expected counts behind.
func TestGenerateChecksFlagsBeforeWriting(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"unknown dimension", []string{"--group-by", "date,colour"}, []string{`--group-by: unknown dimension "colour"`}},
		{"a dimension generate cannot tell", []string{"--group-by", "date,query:uid"}, []string{`--group-by: `, `"query:uid"`}},
		{"no lines", []string{"--lines", "0"}, []string{"--lines must be at least 1, not 0"}},
		{"bad start", []string{"--start", "yesterday"}, []string{"--start: "}},
		{"an argument", []string{"extra"}, []string{`unexpected argument "extra"`}},
		{"everything at once", []string{"--lines", "-1", "--group-by", "path,,path", "x"},
			[]string{"--lines", "position 2", "given twice", `"x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"generate", "-o", filepath.Join(dir, "gen.log.gz"), "--expect", filepath.Join(dir, "want.csv")}, tt.args...)
			var stdout, stderr bytes.Buffer
			if code := Main(args, nil, &stdout, &stderr); code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, &stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, &stderr)
				}
			}
			if !strings.HasSuffix(stderr.String(), "Run 'pmdp help generate' for usage.\n") {
				t.Errorf("stderr does not point to the help:\n%s", &stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("written despite the usage error: %v", entries)
			}
		})
	}
}

// generate takes --group-by as summarize does, spaces and all, and its
// expected counts carry the same header summarize writes.
func TestGenerateGroupByLikeSummarize(t *testing.T) {
	dir := t.TempDir()
	logFile, wantFile := filepath.Join(dir, "gen.log"), filepath.Join(dir, "want.csv")
	const groupBy = " status , query:ev "
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"generate", "--lines", "2000", "-o", logFile, "--expect", wantFile, "--group-by", groupBy}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, &stderr)
	}
	if code := Main([]string{"summarize", "--group-by", groupBy, logFile}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("summarize: exit %d: %s", code, &stderr)
	}
	want := read(t, wantFile)
	if !bytes.HasPrefix(want, []byte("status,query:ev,count\n")) {
		t.Errorf("expected counts start %q", want[:min(len(want), 40)])
	}
	if stdout.String() != string(want) {
		t.Errorf("summarize differs from the generator's truth:\n%s\nwant\n%s", &stdout, want)
	}
}
