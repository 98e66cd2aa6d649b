// Package logstream reads log files as a stream of lines in constant
// memory: gzip (one member or several) or plain text, recognised by the
// content's first bytes rather than by a file name.
package logstream

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/readahead"
)

// MaxLineLength is the default longest line a LineReader returns. ALB caps
// request lines at 16 KiB and truncates user agents at 8 KiB, so real lines
// stay far below it.
const MaxLineLength = 256 << 10

var gzipMagic = []byte{0x1f, 0x8b}

// Decompressed is the content of a log file as Open found it.
type Decompressed struct {
	io.Reader
	Gzip bool // whether the content was gzip

	closer io.Closer
}

// Close releases the decompressor's goroutine and buffers. It does not
// close the underlying reader.
func (d *Decompressed) Close() error {
	if d.closer == nil {
		return nil
	}
	return d.closer.Close()
}

// Open returns the content of r: decompressed if r starts with the gzip
// magic bytes, as it is otherwise. Decompression runs in its own goroutine,
// a few buffers ahead of the reader, so that parsing and inflating use two
// cores. Close the result when done.
func Open(r io.Reader) (*Decompressed, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(gzipMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if !bytes.Equal(head, gzipMagic) {
		return &Decompressed{Reader: br}, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	ahead, err := readahead.NewReadCloserSize(gzipCloser{zr}, 4, 256<<10)
	if err != nil {
		return nil, err
	}
	return &Decompressed{Reader: ahead, Gzip: true, closer: ahead}, nil
}

// gzipCloser makes a gzip.Reader an io.ReadCloser whose errors say that
// they come from decompression.
type gzipCloser struct{ zr *gzip.Reader }

func (g gzipCloser) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gzip: %w", err)
	}
	return n, err
}

func (g gzipCloser) Close() error { return g.zr.Close() }

// ErrLineTooLong is returned by LineReader.Next for a line longer than its
// limit. The line is skipped; reading may go on.
var ErrLineTooLong = errors.New("line too long")

// LineReader returns the lines of a stream one at a time without copying
// them, like bufio.Scanner with ScanLines: a line ends in "\n", and one
// "\r" before it is dropped, so files that passed through tools writing
// CRLF read the same. Unlike bufio.Scanner, a line over the limit is
// reported and skipped instead of ending the stream.
type LineReader struct {
	br   *bufio.Reader
	line int
}

// NewLineReader returns a LineReader whose lines are at most maxLen bytes
// long, including the newline.
func NewLineReader(r io.Reader, maxLen int) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, maxLen)}
}

// Next returns the next line without its line ending ("\n" or "\r\n").
// The slice is valid until the next call. At the end of the stream it
// returns io.EOF; a final line without a newline is still returned first.
// A line over the limit returns ErrLineTooLong after it has been skipped;
// any other error is the stream's and ends reading.
func (l *LineReader) Next() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	switch {
	case err == nil:
		l.line++
		return dropCR(line[:len(line)-1]), nil
	case errors.Is(err, bufio.ErrBufferFull):
		l.line++
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = l.br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return nil, ErrLineTooLong
	case errors.Is(err, io.EOF) && len(line) > 0:
		l.line++
		return dropCR(line), nil
	}
	return nil, err
}

// dropCR drops one "\r" at the end of a line, as bufio.ScanLines does.
func dropCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// Line is the 1-based number of the line Next returned last.
func (l *LineReader) Line() int { return l.line }
