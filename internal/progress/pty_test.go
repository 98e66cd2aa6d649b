package progress

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// What a terminal receives: the display detects the pseudo-terminal and
// its width, redraws one line in place with \r, and leaves only the
// summary line, ended by a newline (which the terminal's line discipline
// turns into \r\n).
func TestPseudoTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 60}); err != nil {
		t.Fatal(err)
	}
	received := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx) // until the tty closes (EIO on Linux)
		received <- b
	}()

	width, ok := Terminal(tty)
	if !ok || width != 60 {
		t.Fatalf("Terminal(tty) = %d, %t; want 60, true", width, ok)
	}
	if _, ok := Terminal(&bytes.Buffer{}); ok {
		t.Error("a buffer is taken for a terminal")
	}
	c := newClock()
	d := New(Options{Out: tty, Label: "pmdp process", Unit: "files", Terminal: ok, Width: width, Now: c.Now})
	for i := range 5 {
		c.advance(time.Second)
		d.Update(Counts{Done: i * 20, Total: 100})
	}
	c.advance(time.Second)
	d.Finish(Counts{Done: 100, Total: 100})
	tty.Close()

	var got []byte
	select {
	case got = <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing read from the pseudo-terminal")
	}
	out := string(got)
	redraws := regexp.MustCompile(`\rpmdp process: \[[= ]{20}\] \d+/100 files`).FindAllString(out, -1)
	if len(redraws) != 5 {
		t.Errorf("%d redraws of the live line, want 5:\n%q", len(redraws), out)
	}
	segments := strings.Split(out, "\x1b[K")
	for _, line := range segments[:len(segments)-1] { // the last is the summary
		if len(strings.TrimPrefix(line, "\r")) >= 60 {
			t.Errorf("a live line as wide as the terminal: %q", line)
		}
	}
	if want := "\r\x1b[Kpmdp process: 100 files done, 0 failed, in 6s (16.7 files/s)\r\n"; !strings.HasSuffix(out, want) {
		t.Errorf("the terminal's last bytes are\n%q\nwant the live line cleared, then\n%q", out[max(0, len(out)-120):], want)
	}
}
