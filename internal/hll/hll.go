// Package hll implements the HyperLogLog sketch of Trino and Athena
// (Airlift's io.airlift.stats.cardinality) in its own serialization, so
// that Athena merges the sketches written here with its own and counts
// them:
//
//	SELECT cardinality(merge(CAST(from_base64(distinct_hll) AS HyperLogLog)))
//
// Given the same values, a sketch has the registers of Athena's
// approx_set, [Sketch.Estimate] returns what cardinality() does, and
// [Sketch.MarshalBinary] writes the bytes Airlift writes when it adds the
// values one by one.
//
// A value is hashed as Airlift hashes a VARCHAR: murmur3_x64_128 of its
// bytes with seed 0, keeping the first 64-bit word. Sketches have 4096
// buckets (p = 12), as approx_set(x) does, so their standard error is about
// 1.625%. Counts of several sketches are combined with [Sketch.Merge], never
// by adding estimates.
//
// A sketch starts sparse, a sorted list of at most 511 entries (4 bytes
// each), and turns dense, one register per bucket (4 KiB in memory, about
// 2 KiB serialized), when a value or merge would take it past that, as
// Airlift does when adding values. (After a merge, Airlift may keep a few
// more entries sparse, depending on its JVM's object sizes; either form
// reads the same.)
// Which form a sketch has and every byte of its serialization depend only
// on the set of values added to it and to the sketches merged into it,
// never on their order.
//
// # Privacy
//
// A sketch holds no value, only parts of hashes: a sparse entry keeps the
// top 26 bits of a value's hash and a dense register the longest run of
// zeros seen in its bucket. But murmur3 is neither keyed nor one-way, so
// whoever can list candidate values (every IPv4 address with a common user
// agent, say) can hash them and test whether each may be in a sparse
// sketch. A caller that must rule this out can pass a keyed hash of each
// value (an HMAC) to [Sketch.Add]: merging and cardinality work as before,
// and only Athena's approx_set over the raw values stops lining up with
// such sketches.
package hll

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/twmb/murmur3"
)

const (
	// precision is approx_set's number of index bits: 4096 buckets.
	precision = 12

	// A sparse entry is the top sparseIndexBits of a hash followed by the
	// number of zeros after them, in sparseValueBits.
	sparseIndexBits = 26
	sparseValueBits = 6
	sparseValueMask = 1<<sparseValueBits - 1
	maxSparseZeros  = 64 - sparseIndexBits

	// maxSparseEntries is where Airlift's sparse form, growing its entry
	// array ten slots at a time, outgrows the memory of the dense form: on
	// adding the 512th entry, with compressed references or without.
	maxSparseEntries = 511

	// Airlift's cardinality uses linear counting while more than this share
	// of the registers are still zero.
	linearCountingMinZeros = 0.4

	// Valid index bit lengths are those of approx_set(x, e): 16 to 65536
	// buckets.
	minPrecision = 4
	maxPrecision = 16
)

// A Sketch estimates the number of distinct values added to it.
// The zero value is an empty sketch ready to use. A Sketch is not safe for
// concurrent use.
type Sketch struct {
	p uint8 // index bits; 0 means precision

	// registers is the dense form, one value per bucket; nil while the
	// sketch is sparse.
	registers []uint8
	// entries is the sparse form, sorted by their top sparseIndexBits,
	// at most one entry for each.
	entries []uint32
}

// New returns an empty sketch with 4096 buckets, like Athena's approx_set.
func New() *Sketch {
	return &Sketch{p: precision}
}

// newPrecision returns an empty sketch with 2^p buckets. Only tests use
// other precisions than approx_set's, to check Airlift's vectors for p = 4.
func newPrecision(p uint8) *Sketch {
	return &Sketch{p: p}
}

func (s *Sketch) precision() uint8 {
	if s.p == 0 {
		return precision
	}
	return s.p
}

// Add adds a value: murmur3_x64_128 of its bytes, as Athena hashes a
// VARCHAR's UTF-8 bytes.
func (s *Sketch) Add(value []byte) {
	h1, _ := murmur3.Sum128(value)
	s.AddHash(h1)
}

// AddString is like Add but takes a string, without copying it.
func (s *Sketch) AddString(value string) {
	h1, _ := murmur3.StringSum128(value)
	s.AddHash(h1)
}

// AddHash adds a value already hashed: the first 64-bit word of its
// murmur3_x64_128 sum with seed 0 (Airlift's Murmur3Hash128.hash64).
// Any well-mixed 64-bit hash estimates as well, but only this one lines up
// with sketches Athena makes from the same values.
func (s *Sketch) AddHash(hash uint64) {
	if s.registers != nil {
		s.addDense(hash)
		return
	}
	s.addSparse(hash)
	if len(s.entries) > maxSparseEntries {
		s.makeDense()
	}
}

func (s *Sketch) addDense(hash uint64) {
	p := s.precision()
	bucket := hash >> (64 - p)
	value := uint8(bits.LeadingZeros64(hash<<p|1<<(p-1))) + 1
	if value > s.registers[bucket] {
		s.registers[bucket] = value
	}
}

func (s *Sketch) addSparse(hash uint64) {
	index := uint32(hash >> (64 - sparseIndexBits))
	zeros := uint32(bits.LeadingZeros64(hash<<sparseIndexBits | 1<<(sparseIndexBits-1)))
	entry := index<<sparseValueBits | zeros
	i, found := slices.BinarySearchFunc(s.entries, index, compareIndex)
	switch {
	case !found:
		s.entries = slices.Insert(s.entries, i, entry)
	case s.entries[i]&sparseValueMask < zeros:
		s.entries[i] = entry
	}
}

func compareIndex(entry, index uint32) int {
	return cmp.Compare(entry>>sparseValueBits, index)
}

// makeDense turns a sparse sketch dense.
func (s *Sketch) makeDense() {
	s.registers = make([]uint8, 1<<s.precision())
	s.mergeEntries(s.entries)
	s.entries = nil
}

// mergeEntries raises the dense registers to the values the sparse entries
// stand for.
func (s *Sketch) mergeEntries(entries []uint32) {
	p := s.precision()
	for _, e := range entries {
		bucket, value := denseRegister(e, p)
		if value > s.registers[bucket] {
			s.registers[bucket] = value
		}
	}
}

// denseRegister returns the bucket and register value that the hash behind
// a sparse entry has in a dense sketch of 2^p buckets. The entry keeps the
// hash's top 26 bits: its top p bits are the bucket, and the zeros that
// follow are counted in the rest of those 26 bits and, if all of them are
// zero, go on in the entry's count of zeros after them. The result is the
// value the hash itself would have given.
func denseRegister(entry uint32, p uint8) (bucket uint32, value uint8) {
	bucket = entry >> (32 - p)
	indexBitsLeft := sparseIndexBits - int(p)
	zeros := bits.LeadingZeros32(entry << p)
	if zeros >= indexBitsLeft {
		zeros = indexBitsLeft + int(entry&sparseValueMask)
	}
	return bucket, uint8(zeros + 1)
}

// Merge adds every value of other to s, as if they had been added to s
// directly: afterwards s serializes byte for byte as a sketch of the union.
// Other is not changed. Sketches of different numbers of buckets cannot be
// merged, as in Athena.
func (s *Sketch) Merge(other *Sketch) error {
	if p, q := s.precision(), other.precision(); p != q {
		return fmt.Errorf("hll: cannot merge a sketch of %d buckets into one of %d", 1<<q, 1<<p)
	}
	if s.registers == nil && other.registers == nil {
		s.entries = unionEntries(s.entries, other.entries)
		if len(s.entries) > maxSparseEntries {
			s.makeDense()
		}
		return nil
	}
	if s.registers == nil {
		s.makeDense()
	}
	if other.registers == nil {
		s.mergeEntries(other.entries)
		return nil
	}
	for i, v := range other.registers {
		s.registers[i] = max(s.registers[i], v)
	}
	return nil
}

// unionEntries merges two sorted entry lists into a new one, keeping the
// larger count of zeros where both have an index.
func unionEntries(a, b []uint32) []uint32 {
	union := make([]uint32, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		ia, ib := a[0]>>sparseValueBits, b[0]>>sparseValueBits
		switch {
		case ia < ib:
			union = append(union, a[0])
			a = a[1:]
		case ia > ib:
			union = append(union, b[0])
			b = b[1:]
		default:
			union = append(union, max(a[0], b[0]))
			a, b = a[1:], b[1:]
		}
	}
	union = append(union, a...)
	return append(union, b...)
}

// Estimate returns the estimated number of distinct values added, the
// number Athena's cardinality() returns for this sketch.
func (s *Sketch) Estimate() int64 {
	if s.registers == nil {
		// Linear counting over the 2^26 buckets the entries stand for.
		return int64(math.Round(linearCounting(1<<sparseIndexBits-len(s.entries), 1<<sparseIndexBits)))
	}
	m := len(s.registers)
	zeros := 0
	// Summed in bucket order, as Airlift does, so that the floating-point
	// result, and its rounding, are the same.
	sum := 0.0
	for _, v := range s.registers {
		if v == 0 {
			zeros++
		}
		sum += inversePowersOf2[v]
	}
	if float64(zeros) > linearCountingMinZeros*float64(m) {
		return int64(math.Round(linearCounting(zeros, m)))
	}
	p := s.precision()
	raw := alpha(p) * float64(m) * float64(m) / sum
	return int64(math.Round(correctBias(raw, p)))
}

// inversePowersOf2[v] is 2^-v, exactly, for every register value: at most
// 64 - minPrecision + 1.
var inversePowersOf2 = func() (t [64 - minPrecision + 2]float64) {
	for v := range t {
		t[v] = math.Ldexp(1, -v)
	}
	return t
}()

func linearCounting(zeros, buckets int) float64 {
	return float64(buckets) * math.Log(float64(buckets)/float64(zeros))
}

// alpha is the HyperLogLog constant for 2^p buckets, with Airlift's values.
func alpha(p uint8) float64 {
	switch p {
	case 4:
		return 0.673
	case 5:
		return 0.697
	case 6:
		return 0.709
	}
	m := float64(uint64(1) << p)
	return 0.7213 / (1 + 1.079/m)
}

// correctBias subtracts from a raw estimate the bias that Airlift's
// empirical table gives for it, interpolated linearly between the table's
// points, and leaves estimates outside the table alone. Only the table of
// approx_set's precision is kept; other precisions go uncorrected.
func correctBias(raw float64, p uint8) float64 {
	if p != precision {
		return raw
	}
	estimates, biases := rawEstimates12[:], biases12[:]
	if raw < estimates[0] || raw > estimates[len(estimates)-1] {
		return raw
	}
	i, found := slices.BinarySearch(estimates, raw)
	if found {
		return raw - biases[i]
	}
	x0, y0 := estimates[i-1], biases[i-1]
	x1, y1 := estimates[i], biases[i]
	return raw - ((raw-x0)*(y1-y0)/(x1-x0) + y0)
}
