// Package summary counts access-log requests grouped by dimensions such as
// date and path, merges such counts, and writes them as CSV or JSON Lines
// with rows in a deterministic order.
package summary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pmdp/pmdp/internal/accesslog"
)

// Summary holds request counts grouped by its dimensions, and the number of
// lines that could not be used. The zero value is not usable; call New.
type Summary struct {
	dims []Dimension

	// index maps a group's encoded key (each value preceded by its length)
	// to its position in counts, so that a line only allocates when it
	// opens a new group.
	index  map[string]int
	counts []int64

	// Rejected counts the lines that could not be used, by reason.
	Rejected map[string]int64

	key []byte
	x   extractor
}

// New returns an empty Summary grouping by dims.
func New(dims []Dimension) *Summary {
	return &Summary{
		dims:     slices.Clone(dims),
		index:    make(map[string]int),
		Rejected: make(map[string]int64),
	}
}

// Dimensions returns the dimensions s groups by.
func (s *Summary) Dimensions() []Dimension { return slices.Clone(s.dims) }

// Add counts one request.
func (s *Summary) Add(r *accesslog.Record) {
	k := s.key[:0]
	for _, d := range s.dims {
		at := len(k)
		k = append(k, 0, 0, 0, 0)
		k = s.x.appendValue(k, d, r)
		binary.BigEndian.PutUint32(k[at:], uint32(len(k)-at-4))
	}
	s.key = k
	i, ok := s.index[string(k)]
	if !ok {
		i = len(s.counts)
		s.index[string(k)] = i
		s.counts = append(s.counts, 0)
	}
	s.counts[i]++
}

// Reject counts a line that could not be used.
func (s *Summary) Reject(reason string) { s.Rejected[reason]++ }

// Requests is the number of requests counted.
func (s *Summary) Requests() int64 {
	var n int64
	for _, c := range s.counts {
		n += c
	}
	return n
}

// RejectedLines is the number of lines that could not be used.
func (s *Summary) RejectedLines() int64 {
	var n int64
	for _, c := range s.Rejected {
		n += c
	}
	return n
}

// ErrDimensionMismatch is returned when merging summaries that group by
// different dimensions.
var ErrDimensionMismatch = errors.New("summaries group by different dimensions")

// Merge adds the counts of o to s. Merging the summaries of two inputs gives
// the summary of both inputs together.
func (s *Summary) Merge(o *Summary) error {
	if !slices.Equal(s.dims, o.dims) {
		return fmt.Errorf("%w: %s and %s", ErrDimensionMismatch, Names(s.dims), Names(o.dims))
	}
	for k, oi := range o.index {
		i, ok := s.index[k]
		if !ok {
			i = len(s.counts)
			s.index[k] = i
			s.counts = append(s.counts, 0)
		}
		s.counts[i] += o.counts[oi]
	}
	for reason, n := range o.Rejected {
		s.Rejected[reason] += n
	}
	return nil
}

// A Row is one group: its dimension values, in the Summary's order, and
// how many requests fell into it.
type Row struct {
	Values []string
	Count  int64
}

// Rows returns the groups sorted by their values, column by column,
// comparing bytes.
func (s *Summary) Rows() []Row {
	rows := make([]Row, 0, len(s.counts))
	for k, i := range s.index {
		rows = append(rows, Row{Values: decodeKey(k, len(s.dims)), Count: s.counts[i]})
	}
	slices.SortFunc(rows, func(a, b Row) int { return slices.Compare(a.Values, b.Values) })
	return rows
}

func decodeKey(k string, n int) []string {
	values := make([]string, n)
	for i := range values {
		l := uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3])
		values[i] = k[4 : 4+l]
		k = k[4+l:]
	}
	return values
}

// Names is the group-by list dims were parsed from, normalised.
func Names(dims []Dimension) string {
	names := make([]string, len(dims))
	for i, d := range dims {
		names[i] = d.name
	}
	return strings.Join(names, ",")
}
