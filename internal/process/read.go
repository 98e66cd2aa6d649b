// Package process is the core that turns one log file into counts: it is
// shared by the local command and the Lambda handler, so the two cannot
// disagree.
package process

import (
	"errors"
	"fmt"
	"io"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/logstream"
	"github.com/pmdp/pmdp/internal/summary"
)

// A Counter receives the requests of a log and the lines it could not use.
// *summary.Summary is one.
type Counter interface {
	Add(r *accesslog.Record)
	Reject(reason string)
}

// MaxSamples is how many rejected lines Stats keeps with their line numbers.
const MaxSamples = 5

// Rejection is a line that could not be used.
type Rejection struct {
	Line int   // 1-based line number in the decompressed content
	Err  error // why; a *accesslog.ParseError or logstream.ErrLineTooLong
}

func (r Rejection) String() string { return fmt.Sprintf("line %d: %v", r.Line, r.Err) }

// Stats describes one log read by ReadLog.
type Stats struct {
	Format   accesslog.Format // as detected from the content
	Gzip     bool             // whether the content was gzip
	Lines    int64            // lines read, blank ones excepted
	Rejected int64            // lines that could not be used
	Filtered int64            // requests the filter left out; neither counted nor rejected
	Samples  []Rejection      // the first MaxSamples rejected lines
}

// ReadLog reads the access log in r (gzip or plain), parses every line and
// hands each request to c. Unusable lines go to c.Reject and never stop the
// read; an error is returned only when the stream itself cannot be read or
// decompressed, and then c has seen part of the file.
func ReadLog(r io.Reader, c Counter) (Stats, error) {
	return ReadFilteredLog(r, c, summary.Filter{})
}

// ReadFilteredLog is ReadLog handing c only the requests that filter
// keeps; Stats.Filtered counts the others. Every command and the function
// read logs through it, so a filter means the same everywhere.
func ReadFilteredLog(r io.Reader, c Counter, filter summary.Filter) (Stats, error) {
	var st Stats
	content, err := logstream.Open(r)
	if err != nil {
		return st, err
	}
	defer content.Close()
	st.Gzip = content.Gzip

	lines := logstream.NewLineReader(content, logstream.MaxLineLength)
	var (
		parser accesslog.Parser
		rec    accesslog.Record
	)
	for {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, logstream.ErrLineTooLong) {
			return st, fmt.Errorf("line %d: %w", lines.Line()+1, err)
		}
		if err == nil && isBlank(line) {
			continue
		}
		st.Lines++
		if err == nil {
			err = parser.Parse(line, &rec)
		}
		if err == nil {
			if filter.Keep(&rec) {
				c.Add(&rec)
			} else {
				st.Filtered++
			}
			continue
		}
		st.Rejected++
		c.Reject(reason(err))
		if len(st.Samples) < MaxSamples {
			st.Samples = append(st.Samples, Rejection{Line: lines.Line(), Err: err})
		}
	}
	st.Format = parser.Format
	return st, nil
}

func reason(err error) string {
	var pe *accesslog.ParseError
	if errors.As(err, &pe) {
		return pe.Reason()
	}
	return err.Error()
}

func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}
