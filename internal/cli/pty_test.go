package cli

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/pmdp/pmdp/internal/loggen"
)

// pmdp process with its stderr on a terminal, as a person runs it: the
// terminal gets a live line redrawn with \r, cleared before the summary,
// which ends with a newline; the per-object lines on stdout are plain.
func TestProcessProgressOnATerminal(t *testing.T) {
	client := fakeS3(t)
	var plain bytes.Buffer
	loggen.Write(&plain, loggen.Config{Seed: 9, Lines: 200})
	for _, name := range []string{"a1", "b2", "c3", "d4"} {
		putObject(t, client, processName(name), loggen.Gzip(plain.Bytes()))
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	received := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		received <- string(b)
	}()

	var stdout bytes.Buffer
	code := Main([]string{"process", "--parallel", "2", "s3://logs/" + processDir}, nil, &stdout, tty)
	tty.Close()
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	var got string
	select {
	case got = <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing read from the pseudo-terminal")
	}
	if !regexp.MustCompile(`\rpmdp process: .*objects`).MatchString(got) {
		t.Errorf("no live line on the terminal:\n%q", got)
	}
	// Then the rollups' own progress line, cleared at the end too.
	if !regexp.MustCompile(`\r\x1b\[Kpmdp process: 4 objects done, 0 failed, in \d+s \([0-9.]+ objects/s\)\r\n(\r\x1b\[K(rollup: [^\r]*)?)*$`).MatchString(got) || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("the terminal does not get the live line cleared and the summary, and then end on a cleared line:\n%q", got)
	}
	if strings.Count(stdout.String(), " lines, ") != 4 || strings.ContainsAny(stdout.String(), "\r\x1b") {
		t.Errorf("stdout %q, want four plain lines", &stdout)
	}
}
