// Package summary counts access-log requests grouped by dimensions such as
// date and path, merges such counts, and writes them as CSV or JSON Lines
// with rows in a deterministic order.
//
// # The cardinality cap
//
// A Summary holds at most MaxGroups groups, whatever its input: anyone can
// send a million distinct paths to a public load balancer, and a table of a
// million groups would not fit the function's memory. Requests beyond the
// cap are counted in overflow rows, one per value of the time columns
// (date, hour): their other columns all read Other, "(other)". So the
// total of each date and hour stays exact, and so does every row of its
// own: a group that has a row has every one of its requests in it, and a
// group with even one request in an overflow row has none of its own.
//
// Which groups keep their rows: a new group is always let in, with the
// request that opens it, unless it may have had requests folded into an
// overflow row before. When the table is full, the quarter of it with the
// lowest rates is folded into the overflow rows, whole: a group's rate is
// its requests divided by the requests counted since its first (its own
// included). A path requested once sees its rate fall with every request
// that follows, whereas a path that keeps being requested keeps its rate,
// however late it first appeared. Precisely, with N the cap and T the
// requests counted so far:
//
//   - Against a flood of one-off paths, a group keeps its row while its
//     rate stays above about 1/(3N/4 - F), F being the number of groups
//     that rank above it: one request in every 75,000 with the default
//     cap.
//   - Against any input at all, a group keeps its row while its rate stays
//     above ln(3N/4·T)/(3N/4 - 1): one request in every 2,800 with the
//     default cap and T = 6 million, one in 2,400 with T = a billion.
//     For a group to be folded, 3N/4 groups must rank at or above it; each
//     of them opened at a different request, and together those opened
//     after any point cannot have had more requests than were counted
//     since then. That bounds how high 3N/4 rates can all be.
//
// What is lost is a group too sparse to tell from the flood, chiefly one
// whose second request comes more than about 3N/4 requests after its
// first: it is folded into its overflow row, all of it.
//
// The groups folded are remembered in a Bloom filter of fixed size, 16 MiB,
// so that they never come back with part of their count. A false positive
// sends a group that was never folded to the overflow row from its first
// request on: the counts stay exact, but that group loses its row whatever
// its rate (with 5 million groups folded, 1 new group in 7,000). After tens
// of millions of folded groups the filter is nearly full and new groups
// seldom get a row; the counts still stay exact.
//
// A summary grouped by time columns only (date, hour) has no other column
// to fold and is not capped: it has one row per date or hour.
//
// Everything is deterministic: the same input, in the same order, gives
// the same rows, and ties between rates are broken by first appearance.
//
// # Distinct counts
//
// A Summary made with a Distinct also keeps, for each row, a HyperLogLog
// sketch of the distinct values (visitors, say) of its requests. A group
// folded into an overflow row has its sketch merged into that row's, so
// an overflow row's sketch holds every value of the requests it counts.
// Such a Summary holds at most MaxDistinctGroups groups, to bound the
// sketches' memory.
package summary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/hll"
)

// Other is the value of every column but the time columns (date, hour) in
// the overflow row that counts the requests beyond the cap.
const Other = "(other)"

// DefaultMaxGroups is the cap of a Summary made by New.
const DefaultMaxGroups = 100_000

// The folded groups' filter: filterBits bits, filterHashes of them set
// for each group. It holds 5 million folded groups with 1 false positive
// in 7,000 new groups, 20 million with 1 in 25. Every Summary's is the
// same size, so that any two merge.
const (
	filterBits   = 1 << 27 // 16 MiB
	filterHashes = 5
)

// evictDivisor: when the table is full, 1/evictDivisor of it is folded.
// A smaller share keeps a group longer, and costs a pass over the table
// more often.
const evictDivisor = 4

// Summary holds request counts grouped by its dimensions, and the number of
// lines that could not be used. The zero value is not usable; call New.
type Summary struct {
	dims      []Dimension
	maxGroups int
	// foldable: some dimension is not a time column, so groups can be
	// folded into overflow rows.
	foldable bool
	// distinct is what sketches count; when it is on, sketches holds the
	// sketch of each slot of counts, and otherSketches of each overflow
	// row.
	distinct Distinct

	// index maps a group's encoded key (each value preceded by its length)
	// to its slot in counts and groups, so that a line only allocates when
	// it opens a new group. A free slot has a count of -1.
	index    map[string]int32
	counts   []int64
	groups   []group
	sketches []hll.Sketch
	free     []int32

	// clock is the number of requests counted so far: the time in which
	// rates are measured.
	clock int64

	// other maps an overflow row's key to its slot in otherCounts.
	other         map[string]int
	otherCounts   []int64
	otherSketches []hll.Sketch
	// folded holds every group with requests in an overflow row; nil
	// until there is one.
	folded *bloom.BloomFilter
	// closed holds the overflow keys of decoded summaries' overflow rows:
	// those rows hold groups that are not known, so no group of those
	// dates opens a row any more.
	closed map[string]bool
	// input numbers the decoded summaries given to AddCount; inputOther
	// holds the overflow keys of the current one's overflow rows.
	input      uint32
	inputOther map[string]bool

	// Rejected counts the lines that could not be used, by reason.
	Rejected map[string]int64

	key, okey, fkey, value []byte
	victims                []victim
	x                      extractor
}

// group is what a Summary knows of a group besides its count.
type group struct {
	key   string
	first int64  // the clock before the group's first request
	input uint32 // the last decoded summary that had the group on a row
}

// New returns an empty Summary grouping by dims, capped at
// DefaultMaxGroups groups.
func New(dims []Dimension) *Summary { return NewMaxGroups(dims, DefaultMaxGroups) }

// NewMaxGroups returns an empty Summary grouping by dims that holds at most
// maxGroups groups (at least 1) besides its overflow rows.
func NewMaxGroups(dims []Dimension, maxGroups int) *Summary {
	return NewDistinct(dims, maxGroups, Distinct{})
}

// NewDistinct is NewMaxGroups with each row also counting the distinct
// values of d, if it is on, in a sketch; then the cap is at most
// MaxDistinctGroups.
func NewDistinct(dims []Dimension, maxGroups int, d Distinct) *Summary {
	if d.On() {
		maxGroups = min(maxGroups, MaxDistinctGroups)
	}
	s := &Summary{
		dims:       slices.Clone(dims),
		maxGroups:  max(maxGroups, 1),
		distinct:   d,
		index:      make(map[string]int32),
		other:      make(map[string]int),
		closed:     make(map[string]bool),
		inputOther: make(map[string]bool),
		Rejected:   make(map[string]int64),
	}
	for _, d := range dims {
		if !d.isTime() {
			s.foldable = true
		}
	}
	return s
}

// Dimensions returns the dimensions s groups by.
func (s *Summary) Dimensions() []Dimension { return slices.Clone(s.dims) }

// MaxGroups is the most groups s holds besides its overflow rows.
func (s *Summary) MaxGroups() int { return s.maxGroups }

// Distinct is what s counts the distinct values of.
func (s *Summary) Distinct() Distinct { return s.distinct }

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
	s.clock++
	if i, ok := s.index[string(k)]; ok {
		s.counts[i]++
		if s.distinct.On() {
			s.addDistinct(&s.sketches[i], r)
		}
		return
	}
	if sketch := s.open(k, 1, nil); sketch != nil {
		s.addDistinct(sketch, r)
	}
}

// addDistinct adds the distinct value of r, if it has one, to sketch.
func (s *Summary) addDistinct(sketch *hll.Sketch, r *accesslog.Record) {
	s.value = s.x.appendDistinct(s.value[:0], s.distinct, r)
	if len(s.value) > 0 {
		sketch.Add(s.value)
	}
}

// count adds n requests to the group with key k, and merges sketch (nil
// for none) into its row's.
func (s *Summary) count(k []byte, n int64, sketch *hll.Sketch) {
	s.clock += n
	if i, ok := s.index[string(k)]; ok {
		s.counts[i] += n
		s.groups[i].input = s.input
		if s.distinct.On() {
			mergeSketch(&s.sketches[i], sketch)
		}
		return
	}
	s.open(k, n, sketch)
}

// open gives the group with key k, not in the table, its n first
// requests: in a row of its own unless it may have requests in an
// overflow row already, making room when the table is full. It merges
// from (nil for none) into the sketch of the row that took the requests,
// and returns that sketch; nil when s counts no distinct values.
func (s *Summary) open(k []byte, n int64, from *hll.Sketch) *hll.Sketch {
	if s.foldable {
		if s.folded != nil && s.folded.Test(k) {
			return s.addOther(k, n, from)
		}
		if s.isOverflow(k) || (len(s.closed) > 0 && s.closed[string(s.overflowKey(k))]) {
			return s.fold(k, n, from)
		}
		if len(s.index) >= s.maxGroups {
			s.evict()
		}
	}
	var i int32
	if l := len(s.free); l > 0 {
		i, s.free = s.free[l-1], s.free[:l-1]
	} else {
		i = int32(len(s.counts))
		s.counts = append(s.counts, 0)
		s.groups = append(s.groups, group{})
		if s.distinct.On() {
			s.sketches = append(s.sketches, hll.Sketch{})
		}
	}
	key := string(k)
	s.index[key] = i
	s.counts[i] = n
	s.groups[i] = group{key: key, first: s.clock - n, input: s.input}
	if !s.distinct.On() {
		return nil
	}
	mergeSketch(&s.sketches[i], from)
	return &s.sketches[i]
}

// isOverflow tells whether every value of k but the time columns' is
// Other: the key of an overflow row. A group whose values are all Other
// for real is counted in that row, for it could not be told apart.
func (s *Summary) isOverflow(k []byte) bool {
	if !s.foldable {
		return false
	}
	for _, d := range s.dims {
		l := binary.BigEndian.Uint32(k)
		if !d.isTime() && string(k[4:4+l]) != Other {
			return false
		}
		k = k[4+l:]
	}
	return true
}

// overflowKey returns the key of the overflow row of the group with key
// k: its time values, and Other for every other column. It is valid until
// the next call.
func (s *Summary) overflowKey(k []byte) []byte {
	o := s.okey[:0]
	for _, d := range s.dims {
		l := binary.BigEndian.Uint32(k)
		if d.isTime() {
			o = append(o, k[:4+l]...)
		} else {
			o = binary.BigEndian.AppendUint32(o, uint32(len(Other)))
			o = append(o, Other...)
		}
		k = k[4+l:]
	}
	s.okey = o
	return o
}

// addOther counts n requests of the group with key k in its overflow row,
// merges from (nil for none) into that row's sketch and returns it; nil
// when s counts no distinct values.
func (s *Summary) addOther(k []byte, n int64, from *hll.Sketch) *hll.Sketch {
	o := s.overflowKey(k)
	i, ok := s.other[string(o)]
	if ok {
		s.otherCounts[i] += n
	} else {
		i = len(s.otherCounts)
		s.other[string(o)] = i
		s.otherCounts = append(s.otherCounts, n)
		if s.distinct.On() {
			s.otherSketches = append(s.otherSketches, hll.Sketch{})
		}
	}
	if !s.distinct.On() {
		return nil
	}
	mergeSketch(&s.otherSketches[i], from)
	return &s.otherSketches[i]
}

// fold counts n requests of the group with key k in its overflow row, as
// addOther does, and remembers that it has requests there.
func (s *Summary) fold(k []byte, n int64, from *hll.Sketch) *hll.Sketch {
	sketch := s.addOther(k, n, from)
	s.filter().Add(k)
	return sketch
}

func (s *Summary) filter() *bloom.BloomFilter {
	if s.folded == nil {
		s.folded = bloom.New(filterBits, filterHashes)
	}
	return s.folded
}

// foldGroup moves the group in slot i into its overflow row.
func (s *Summary) foldGroup(i int32) {
	key := s.groups[i].key
	s.fkey = append(s.fkey[:0], key...)
	var sketch *hll.Sketch
	if s.distinct.On() {
		sketch = &s.sketches[i]
	}
	s.fold(s.fkey, s.counts[i], sketch)
	delete(s.index, key)
	s.counts[i] = -1
	s.groups[i] = group{}
	if s.distinct.On() {
		s.sketches[i] = hll.Sketch{}
	}
	s.free = append(s.free, i)
}

// A victim is a group ranked for eviction.
type victim struct {
	rate  float64 // requests per request counted since its first
	first int64
	slot  int32
}

// before orders victims: the lowest rate first; of equal rates, the
// younger group, which has fewer requests; then by slot, which is unique.
func (a victim) before(b victim) bool {
	if a.rate != b.rate {
		return a.rate < b.rate
	}
	if a.first != b.first {
		return a.first > b.first
	}
	return a.slot < b.slot
}

// evict folds the groups with the lowest rates, a quarter of the table.
func (s *Summary) evict() {
	v := s.victims[:0]
	for i, c := range s.counts {
		if c < 0 {
			continue
		}
		first := s.groups[i].first
		v = append(v, victim{rate: float64(c) / float64(max(s.clock-first, 1)), first: first, slot: int32(i)})
	}
	n := max(len(v)/evictDivisor, 1)
	selectFirst(v, n)
	for _, g := range v[:n] {
		s.foldGroup(g.slot)
	}
	s.victims = v[:0]
}

// selectFirst reorders v so that v[:n] holds the n victims that come
// first in the order of before: a quickselect, with a sort of what is
// left once it has gone deeper than a good pivot would take it.
func selectFirst(v []victim, n int) {
	lo, hi := 0, len(v)
	for depth := 2 * bits.Len(uint(len(v))); hi-lo > 12; depth-- {
		if depth == 0 {
			break
		}
		mid := lo + (hi-lo)/2
		// The median of three to v[hi-1], as the pivot.
		if v[mid].before(v[lo]) {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi-1].before(v[lo]) {
			v[hi-1], v[lo] = v[lo], v[hi-1]
		}
		if v[mid].before(v[hi-1]) {
			v[mid], v[hi-1] = v[hi-1], v[mid]
		}
		p, m := v[hi-1], lo
		for i := lo; i < hi-1; i++ {
			if v[i].before(p) {
				v[i], v[m] = v[m], v[i]
				m++
			}
		}
		v[m], v[hi-1] = v[hi-1], v[m]
		switch {
		case n == m:
			return
		case n < m:
			hi = m
		default:
			lo = m + 1
		}
	}
	slices.SortFunc(v[lo:hi], func(a, b victim) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
}

// Reject counts a line that could not be used.
func (s *Summary) Reject(reason string) { s.Rejected[reason]++ }

// Requests is the number of requests counted, overflow rows included.
func (s *Summary) Requests() int64 {
	var n int64
	for _, c := range s.counts {
		n += max(c, 0)
	}
	return n + s.OtherRequests()
}

// OtherRequests is the number of requests counted in overflow rows.
func (s *Summary) OtherRequests() int64 {
	var n int64
	for _, c := range s.otherCounts {
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

// ErrDistinctMismatch is returned when merging summaries that count the
// distinct values of different things.
var ErrDistinctMismatch = errors.New("summaries count different distinct values")

// Merge adds the counts of o to s. Merging the summaries of two inputs gives
// the summary of both inputs together, within s's cap: totals exact, and
// every row of its own exact. A group that o folded into an overflow row
// is folded in s as well, since its row would miss those requests.
func (s *Summary) Merge(o *Summary) error {
	if !slices.Equal(s.dims, o.dims) {
		return fmt.Errorf("%w: %s and %s", ErrDimensionMismatch, Names(s.dims), Names(o.dims))
	}
	if s.distinct != o.distinct {
		return fmt.Errorf("%w: %q and %q", ErrDistinctMismatch, s.distinct, o.distinct)
	}
	if o.folded != nil || len(o.closed) > 0 {
		for i, c := range s.counts {
			if c < 0 {
				continue
			}
			key := s.groups[i].key
			if _, ok := o.index[key]; ok {
				continue
			}
			s.fkey = append(s.fkey[:0], key...)
			if (o.folded != nil && o.folded.Test(s.fkey)) || o.closed[string(s.overflowKey(s.fkey))] {
				s.foldGroup(int32(i))
			}
		}
	}
	for i, c := range o.counts {
		if c >= 0 {
			s.key = append(s.key[:0], o.groups[i].key...)
			s.count(s.key, c, o.sketch(i))
		}
	}
	for k, i := range o.other {
		s.key = append(s.key[:0], k...)
		var sketch *hll.Sketch
		if o.distinct.On() {
			sketch = &o.otherSketches[i]
		}
		s.addOther(s.key, o.otherCounts[i], sketch)
		s.clock += o.otherCounts[i]
	}
	if o.folded != nil {
		if err := s.filter().Merge(o.folded); err != nil {
			return fmt.Errorf("merging the folded groups: %w", err)
		}
	}
	for k := range o.closed {
		s.closed[k] = true
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
	// Sketch holds the distinct values of the requests when the Summary
	// counts them (see Distinct); nil otherwise. A Summary's rows share
	// its sketches: they are valid until it changes.
	Sketch *hll.Sketch
}

// Rows returns the groups, overflow rows included, sorted by their values,
// column by column, comparing bytes.
func (s *Summary) Rows() []Row {
	rows := make([]Row, 0, len(s.index)+len(s.other))
	for i, c := range s.counts {
		if c >= 0 {
			rows = append(rows, Row{Values: decodeKey(s.groups[i].key, len(s.dims)), Count: c, Sketch: s.sketch(i)})
		}
	}
	for k, i := range s.other {
		row := Row{Values: decodeKey(k, len(s.dims)), Count: s.otherCounts[i]}
		if s.distinct.On() {
			row.Sketch = &s.otherSketches[i]
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b Row) int { return slices.Compare(a.Values, b.Values) })
	return rows
}

// sketch is the sketch of the group in slot i; nil when s counts no
// distinct values.
func (s *Summary) sketch(i int) *hll.Sketch {
	if !s.distinct.On() {
		return nil
	}
	return &s.sketches[i]
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
