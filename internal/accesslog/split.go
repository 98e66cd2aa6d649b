package accesslog

import (
	"bytes"
	"errors"
	"fmt"
)

// Errors that classify why a line could not be used. Parse returns them
// inside a *ParseError (the quote errors inside a *SplitError within it);
// compare with errors.Is.
var (
	ErrUnterminatedQuote = errors.New("unterminated quoted field")
	ErrBareQuote         = errors.New("quoted field not followed by a space")
	ErrTooFewFields      = errors.New("too few fields")
	ErrInvalidField      = errors.New("invalid field")
	ErrUnknownFormat     = errors.New("not an ALB or Classic ELB access log line")
)

// SplitError reports where a line could not be split into fields.
type SplitError struct {
	Column int // 1-based byte offset of the offending quote
	Err    error
}

func (e *SplitError) Error() string { return fmt.Sprintf("column %d: %v", e.Column, e.Err) }
func (e *SplitError) Unwrap() error { return e.Err }

// Split appends the fields of one access-log line to dst and returns the
// extended slice. Fields are separated by a single space. A field that starts
// with a double quote runs to the next unescaped double quote and may contain
// spaces; inside it a backslash escapes the byte after it, which covers both
// ALB's `\x22` and Classic ELB's `\"`. Quoted fields are returned without
// their quotes and with escapes still encoded (see AppendUnescaped): most
// values are never output, so decoding them would be wasted work.
//
// The returned fields alias line. A trailing "\n" or "\r\n" is ignored.
func Split(dst [][]byte, line []byte) ([][]byte, error) {
	line = trimEOL(line)
	if len(line) == 0 {
		return dst, nil
	}
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			end, err := closingQuote(line, i+1)
			if err != nil {
				return dst, err
			}
			dst = append(dst, line[i+1:end])
			i = end + 1
			if i == len(line) {
				return dst, nil
			}
			if line[i] != ' ' {
				return dst, &SplitError{Column: end + 1, Err: ErrBareQuote}
			}
			i++
			continue
		}
		n := bytes.IndexByte(line[i:], ' ')
		if n < 0 {
			return append(dst, line[i:]), nil
		}
		dst = append(dst, line[i:i+n])
		i += n + 1
	}
}

// closingQuote returns the index of the quote that closes a quoted field
// whose content starts at from.
func closingQuote(line []byte, from int) (int, error) {
	i := from
	for {
		q := bytes.IndexByte(line[i:], '"')
		if q < 0 {
			return 0, &SplitError{Column: from, Err: ErrUnterminatedQuote}
		}
		b := bytes.IndexByte(line[i:i+q], '\\')
		if b < 0 {
			return i + q, nil
		}
		// An escape comes first: step over the escaped byte and look again.
		// The escape lies before the quote at i+q, so i stays within line.
		i += b + 2
	}
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

// AppendUnescaped appends src to dst with the escapes load balancers write
// inside quoted fields decoded: `\xHH` becomes the byte 0xHH, and a backslash
// before any other byte stands for that byte (`\"` and `\\`). A `\x` not
// followed by two hex digits is kept as written.
func AppendUnescaped(dst, src []byte) []byte {
	for {
		i := bytes.IndexByte(src, '\\')
		if i < 0 || i == len(src)-1 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i]...)
		src = src[i+1:]
		if src[0] == 'x' && len(src) >= 3 {
			hi, ok1 := UnhexDigit(src[1])
			lo, ok2 := UnhexDigit(src[2])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				src = src[3:]
				continue
			}
		}
		if src[0] == 'x' {
			dst = append(dst, '\\')
			continue
		}
		dst = append(dst, src[0])
		src = src[1:]
	}
}

// UnhexDigit is the value of one hexadecimal digit.
func UnhexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
