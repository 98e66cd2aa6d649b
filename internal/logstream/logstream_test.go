package logstream

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: Open
// starts a decompressing one, which Close must stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readAll returns every line of the input, with too-long lines as "<too long>".
func readAll(t *testing.T, in []byte, maxLen int) ([]string, bool, error) {
	t.Helper()
	d, err := Open(bytes.NewReader(in))
	if err != nil {
		return nil, false, err
	}
	defer d.Close()
	lr := NewLineReader(d, maxLen)
	var lines []string
	for {
		line, err := lr.Next()
		switch {
		case errors.Is(err, io.EOF):
			return lines, d.Gzip, nil
		case errors.Is(err, ErrLineTooLong):
			lines = append(lines, "<too long>")
		case err != nil:
			return lines, d.Gzip, err
		default:
			lines = append(lines, string(line))
		}
		if lr.Line() != len(lines) {
			t.Fatalf("Line() = %d after %d lines", lr.Line(), len(lines))
		}
	}
}

func TestOpenAndRead(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name     string
		in       []byte
		maxLen   int
		want     []string
		wantGzip bool
	}{
		{"plain", []byte("a\nb\n"), 64, []string{"a", "b"}, false},
		{"plain, no final newline", []byte("a\nb"), 64, []string{"a", "b"}, false},
		{"empty", nil, 64, nil, false},
		{"one byte", []byte("x"), 64, []string{"x"}, false},
		{"gzip", gz(t, "a\nb\n"), 64, []string{"a", "b"}, true},
		{"gzip of nothing", gz(t, ""), 64, nil, true},
		{"multi-member gzip", append(gz(t, "a\nb"), gz(t, "c\nd\n")...), 64, []string{"a", "bc", "d"}, true},
		{"gzip named like plain text is still gzip", gz(t, "z\n"), 64, []string{"z"}, true},
		{"too long in the middle", []byte("a\n" + long + "\nb\n"), 64, []string{"a", "<too long>", "b"}, false},
		{"too long at the end", []byte("a\n" + long), 64, []string{"a", "<too long>"}, false},
		{"too long in gzip", gz(t, long+"\n"+long+"\nok\n"), 64, []string{"<too long>", "<too long>", "ok"}, true},
		{"CRLF", []byte("a\r\nb\r\n"), 64, []string{"a", "b"}, false},
		{"CRLF, no final newline", []byte("a\r\nb\r"), 64, []string{"a", "b"}, false},
		{"CRLF in gzip", gz(t, "a\r\nb\r\n"), 64, []string{"a", "b"}, true},
		{"mixed endings", []byte("a\nb\r\nc\n"), 64, []string{"a", "b", "c"}, false},
		{"only one CR dropped", []byte("a\r\r\n"), 64, []string{"a\r"}, false},
		{"CR inside a line kept", []byte("a\rb\n"), 64, []string{"a\rb"}, false},
		{"blank CRLF line", []byte("\r\na\n"), 64, []string{"", "a"}, false},
		{"too long with CRLF", []byte(long + "\r\nb\r\n"), 64, []string{"<too long>", "b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, isGzip, err := readAll(t, tt.in, tt.maxLen)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("lines %q, want %q", got, tt.want)
			}
			if isGzip != tt.wantGzip {
				t.Errorf("Gzip = %v, want %v", isGzip, tt.wantGzip)
			}
		})
	}
}

func TestCorruptGzip(t *testing.T) {
	good := gz(t, strings.Repeat("line of a log file\n", 5000))
	tests := []struct {
		name string
		in   []byte
	}{
		{"truncated", good[:len(good)/2]},
		{"bad checksum", func() []byte {
			b := bytes.Clone(good)
			b[len(b)-6] ^= 0xff
			return b
		}()},
		{"garbage after the magic", append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{0xAA}, 100)...)},
		{"trailing garbage after a member", append(bytes.Clone(good), "garbage"...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.in, MaxLineLength)
			if err == nil {
				t.Fatal("corrupt gzip read without error")
			}
			if !strings.Contains(err.Error(), "gzip") {
				t.Errorf("error %q does not say it came from gzip", err)
			}
		})
	}
}

// Closing a stream read only in part must stop its decompressing
// goroutine, which would otherwise wait forever for the reader.
func TestCloseBeforeTheEnd(t *testing.T) {
	d, err := Open(bytes.NewReader(gz(t, strings.Repeat("a line of a log file\n", 200_000))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewLineReader(d, MaxLineLength).Next(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
}

// TestConstantMemory reads far more data than the buffers hold; the
// allocations must not grow with the input.
func TestConstantMemory(t *testing.T) {
	in := gz(t, strings.Repeat("https 2026-11-26T00:00:00Z a fairly ordinary access log line\n", 200_000))
	allocs := testing.AllocsPerRun(3, func() {
		d, err := Open(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		lr := NewLineReader(d, MaxLineLength)
		for {
			if _, err := lr.Next(); err != nil {
				break
			}
		}
		d.Close()
	})
	// The decompressor, its window and the read-ahead buffers: a fixed
	// few dozen allocations, whether the input is 1 MB or 1 GB.
	if allocs > 100 {
		t.Errorf("reading 200,000 lines allocates %.0f times; reading must not allocate per line", allocs)
	}
}

func ExampleLineReader() {
	d, err := Open(strings.NewReader("first\nsecond\n" + strings.Repeat("x", 300) + "\nlast"))
	if err != nil {
		panic(err)
	}
	defer d.Close()
	lines := NewLineReader(d, 256)
	for {
		line, err := lines.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Printf("line %d: %v\n", lines.Line(), err)
			continue
		}
		fmt.Printf("line %d: %s\n", lines.Line(), line)
	}
	// Output:
	// line 1: first
	// line 2: second
	// line 3: line too long
	// line 4: last
}
