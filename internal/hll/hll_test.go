package hll

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/murmur3"
)

func mustMarshal(t testing.TB, s *Sketch) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAddHashesLikeAirlift(t *testing.T) {
	// Airlift's sketch of the single byte 64 (TestSparseSerialization) pins
	// the index and zeros of its hash; every way of adding it must agree.
	want := []byte{2, 12, 1, 0, 0x42, 0x34, 0x20, 0x21}
	h1, _ := murmur3.Sum128([]byte{64})
	adders := map[string]func(*Sketch){
		"Add":       func(s *Sketch) { s.Add([]byte{64}) },
		"AddString": func(s *Sketch) { s.AddString("\x40") },
		"AddHash":   func(s *Sketch) { s.AddHash(h1) },
	}
	for name, add := range adders {
		for _, s := range []*Sketch{New(), {}} {
			add(s)
			if got := mustMarshal(t, s); !bytes.Equal(got, want) {
				t.Errorf("%s: % x, want % x", name, got, want)
			}
		}
	}
}

// testHashes are hashes whose zeros run into every part of an entry: the
// bits below the bucket, the rest of the sparse index, and the bits after.
func testHashes() []uint64 {
	hashes := []uint64{0, math.MaxUint64}
	for i := range 64 {
		hashes = append(hashes, 1<<i, 1<<i|1<<63, 1<<i|1<<58)
	}
	for v := range int64(10000) {
		hashes = append(hashes, hashLong(v))
	}
	return hashes
}

// TestSparseToDense checks that a sparse sketch turned dense has the
// registers a dense sketch gets from the same hashes, at every precision:
// the entries lose nothing a register needs.
func TestSparseToDense(t *testing.T) {
	for p := uint8(minPrecision); p <= maxPrecision; p++ {
		for chunk := range slices.Chunk(testHashes(), maxSparseEntries) {
			sparse, dense := newPrecision(p), newPrecision(p)
			dense.makeDense()
			for _, h := range chunk {
				sparse.AddHash(h)
				dense.AddHash(h)
			}
			if sparse.registers != nil {
				t.Fatal("sparse sketch turned dense too early")
			}
			sparse.makeDense()
			for bucket, v := range sparse.registers {
				if v != dense.registers[bucket] {
					t.Fatalf("p=%d: bucket %d is %d from sparse entries, %d added dense", p, bucket, v, dense.registers[bucket])
				}
			}
		}
	}
}

// distinctIndexHash returns a hash with sparse index i, so that n of them
// make n sparse entries.
func distinctIndexHash(i int) uint64 {
	return uint64(i)<<(64-sparseIndexBits) | 1<<20
}

// TestSparseUntil511Entries checks that a sketch turns dense when Airlift's
// would on adding values: at the 512th entry.
func TestSparseUntil511Entries(t *testing.T) {
	s := New()
	for i := range 511 {
		s.AddHash(distinctIndexHash(i))
	}
	if b := mustMarshal(t, s); b[0] != tagSparseV2 || len(b) != 4+4*511 {
		t.Fatalf("511 entries: tag %d, %d bytes; want sparse, %d bytes", b[0], len(b), 4+4*511)
	}
	s.AddHash(distinctIndexHash(0) | 1) // same index: no new entry
	if b := mustMarshal(t, s); b[0] != tagSparseV2 {
		t.Fatalf("a value of an existing entry made the sketch dense")
	}
	s.AddHash(distinctIndexHash(511))
	if b := mustMarshal(t, s); b[0] != tagDenseV2 {
		t.Fatalf("512 entries: tag %d, want dense", b[0])
	}

	for _, sizes := range [][2]int{{255, 256}, {256, 256}, {0, 512}} {
		a, b := New(), New()
		for i := range sizes[0] {
			a.AddHash(distinctIndexHash(i))
		}
		for i := range sizes[1] {
			b.AddHash(distinctIndexHash(sizes[0] + i))
		}
		if err := a.Merge(b); err != nil {
			t.Fatal(err)
		}
		wantDense := sizes[0]+sizes[1] > 511
		if gotDense := a.registers != nil; gotDense != wantDense {
			t.Errorf("merge of %d and %d entries: dense %v, want %v", sizes[0], sizes[1], gotDense, wantDense)
		}
	}
}

func TestMergeIsUnion(t *testing.T) {
	tests := []struct {
		name string
		a, b []int64
	}{
		{"both empty", nil, nil},
		{"empty and sparse", nil, sequence(0, 100)},
		{"sparse and empty", sequence(0, 100), nil},
		{"empty and dense", nil, sequence(0, 5000)},
		{"dense and empty", sequence(0, 5000), nil},
		{"sparse overlapping", sequence(0, 100), sequence(50, 150)},
		{"sparse disjoint", sequence(0, 100), sequence(200, 300)},
		{"sparse same", sequence(0, 100), sequence(0, 100)},
		{"sparse that turn dense", sequence(0, 400), sequence(300, 700)},
		{"sparse and dense", sequence(0, 100), sequence(50, 5000)},
		{"dense and sparse", sequence(50, 5000), sequence(0, 100)},
		{"dense overlapping", sequence(0, 5000), sequence(3000, 8000)},
		{"dense disjoint", sequence(0, 20000), sequence(20000, 40000)},
		{"dense same", sequence(0, 20000), sequence(0, 20000)},
		// Airlift's TestSparseHll: entries of the same index, zeros past the index.
		{"sparse same index", []int64{29678, 54004}, []int64{64034, 20591, 56987}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, order := range [][2][]int64{{tt.a, tt.b}, {tt.b, tt.a}} {
				a, b := sketchOf(precision, false, order[0]...), sketchOf(precision, false, order[1]...)
				bBefore := mustMarshal(t, b)
				if err := a.Merge(b); err != nil {
					t.Fatal(err)
				}
				want := mustMarshal(t, sketchOf(precision, false, append(slices.Clone(order[0]), order[1]...)...))
				if got := mustMarshal(t, a); !bytes.Equal(got, want) {
					t.Errorf("merge of %d and %d values: %s", len(order[0]), len(order[1]), diffHex(got, want))
				}
				if after := mustMarshal(t, b); !bytes.Equal(after, bBefore) {
					t.Errorf("merge changed its argument: %s", diffHex(after, bBefore))
				}
			}
		})
	}
}

// TestMergeKeepsLarger checks that where both sketches have a value for
// an entry or register, the merge keeps the larger, in either order.
func TestMergeKeepsLarger(t *testing.T) {
	// Two hashes of sparse index 5 and dense bucket 0, with fewer and more
	// zeros after the index.
	const index = 5 << (64 - sparseIndexBits)
	few, many := uint64(index|1<<30), uint64(index|1<<10)
	for _, dense := range []bool{false, true} {
		want := mustMarshal(t, func() *Sketch { s := sketchOf(precision, dense); s.AddHash(many); return s }())
		for _, order := range [][2]uint64{{few, many}, {many, few}} {
			a, b := sketchOf(precision, dense), sketchOf(precision, dense)
			a.AddHash(order[0])
			b.AddHash(order[1])
			if err := a.Merge(b); err != nil {
				t.Fatal(err)
			}
			if got := mustMarshal(t, a); !bytes.Equal(got, want) {
				t.Errorf("dense=%v, %#x merged into %#x: %s", dense, order[1], order[0], diffHex(got, want))
			}
		}
	}
}

func TestMergeWithOverflows(t *testing.T) {
	// Airlift's TestDenseSerialization.testMergeWithOverflows: at p=4 both
	// values overflow their buckets.
	want := mustMarshal(t, sketchOf(4, true, 37227, 93351))
	for _, order := range [][2]int64{{37227, 93351}, {93351, 37227}} {
		a, b := sketchOf(4, true, order[0]), sketchOf(4, true, order[1])
		if err := a.Merge(b); err != nil {
			t.Fatal(err)
		}
		if got := mustMarshal(t, a); !bytes.Equal(got, want) {
			t.Errorf("merge %d into %d: %s", order[1], order[0], diffHex(got, want))
		}
	}
}

func TestMergeItself(t *testing.T) {
	for _, n := range []int64{0, 100, 5000} {
		s := sketchOf(precision, false, sequence(0, n)...)
		want := mustMarshal(t, s)
		if err := s.Merge(s); err != nil {
			t.Fatal(err)
		}
		if got := mustMarshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("%d values merged with itself: %s", n, diffHex(got, want))
		}
	}
}

func TestMergeDifferentPrecisions(t *testing.T) {
	a, b := New(), newPrecision(4)
	b.AddString("x")
	err := a.Merge(b)
	if err == nil || !strings.Contains(err.Error(), "16 buckets into one of 4096") {
		t.Fatalf("Merge = %v, want an error naming both sizes", err)
	}
	if a.Estimate() != 0 {
		t.Errorf("a failed merge changed the sketch")
	}
}

// TestOrderDoesNotMatter checks that the bytes of a sketch depend on its
// set of values only: not on the order they are added in, nor on how
// sketches of parts of the set are merged.
func TestOrderDoesNotMatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int64{1, 100, 511, 520, 5000, 50000} {
		values := sequence(0, n)
		want := mustMarshal(t, sketchOf(precision, false, values...))
		for trial := range 5 {
			rng.Shuffle(len(values), func(i, j int) { values[i], values[j] = values[j], values[i] })
			// Add a tenth of the values twice: duplicates change nothing.
			withDuplicates := append(slices.Clone(values), values[:n/10]...)
			if got := mustMarshal(t, sketchOf(precision, false, withDuplicates...)); !bytes.Equal(got, want) {
				t.Fatalf("%d values, shuffle %d: %s", n, trial, diffHex(got, want))
			}

			// Split into parts, sketch each, and merge them in random order.
			var parts []*Sketch
			for rest := withDuplicates; len(rest) > 0; {
				k := 1 + rng.IntN(len(rest))
				parts = append(parts, sketchOf(precision, false, rest[:k]...))
				rest = rest[k:]
			}
			for len(parts) > 1 {
				i, j := rng.IntN(len(parts)), rng.IntN(len(parts))
				if i == j {
					continue
				}
				if err := parts[i].Merge(parts[j]); err != nil {
					t.Fatal(err)
				}
				parts = slices.Delete(parts, j, j+1)
			}
			if got := mustMarshal(t, parts[0]); !bytes.Equal(got, want) {
				t.Fatalf("%d values, merged parts %d: %s", n, trial, diffHex(got, want))
			}
		}
	}
}

func TestEstimateSparse(t *testing.T) {
	// Linear counting over 2^26 buckets is exact to the unit this far.
	s := New()
	for n := range maxSparseEntries + 1 {
		if got := s.Estimate(); got != int64(n) {
			t.Fatalf("%d entries: Estimate = %d", n, got)
		}
		s.AddHash(distinctIndexHash(n))
		s.AddHash(distinctIndexHash(n) | 1) // a second value, same entry
	}
}

// denseSketch returns a p=12 dense sketch with the given registers.
func denseSketch(registers func(bucket int) uint8) *Sketch {
	s := New()
	s.makeDense()
	for i := range s.registers {
		s.registers[i] = registers(i)
	}
	return s
}

func TestEstimateDense(t *testing.T) {
	const m = 1 << precision
	alpha12 := 0.7213 / (1 + 1.079/m)
	hll := func(sum float64) float64 { return alpha12 * m * m / sum }
	tests := []struct {
		name      string
		registers func(bucket int) uint8
		want      float64
	}{
		{"empty", func(int) uint8 { return 0 }, 0},
		{"one register", func(b int) uint8 { return uint8(max(0, 1-b)) }, m * math.Log(m/(m-1.0))},
		// Linear counting while more than 0.4 × 4096 = 1638.4 registers are zero.
		{"1639 zeros", func(b int) uint8 { return uint8(min(b/1639, 1)) }, m * math.Log(m/1639.0)},
		{"1638 zeros", func(b int) uint8 { return uint8(min(b/1638, 1)) },
			correctBias(hll(1638+(m-1638)/2.0), precision)},
		// Raw estimates past the bias table are used as they are.
		{"all 10", func(int) uint8 { return 10 }, hll(m / 1024.0)},
		{"all 20", func(int) uint8 { return 20 }, hll(m / float64(1<<20))},
		{"all 53", func(int) uint8 { return 53 }, hll(m / float64(1<<53))},
		{"half 10, half 11", func(b int) uint8 { return uint8(10 + b%2) }, hll(m/2/1024.0 + m/2/2048.0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := denseSketch(tt.registers).Estimate(), int64(math.Round(tt.want)); got != want {
				t.Errorf("Estimate = %d, want %d", got, want)
			}
		})
	}
}

func TestCorrectBias(t *testing.T) {
	if len(rawEstimates12) != 200 || len(biases12) != 200 {
		t.Fatalf("bias table has %d estimates and %d biases, want 200 each", len(rawEstimates12), len(biases12))
	}
	if !slices.IsSorted(rawEstimates12[:]) {
		t.Fatal("raw estimates not sorted")
	}
	first, last := rawEstimates12[0], rawEstimates12[len(rawEstimates12)-1]
	tests := []struct {
		name string
		raw  float64
		p    uint8
		want float64
	}{
		{"first point", first, precision, first - biases12[0]},
		{"last point", last, precision, last - biases12[len(biases12)-1]},
		{"point 100", rawEstimates12[100], precision, rawEstimates12[100] - biases12[100]},
		{"between 100 and 101", (rawEstimates12[100] + rawEstimates12[101]) / 2, precision,
			(rawEstimates12[100]+rawEstimates12[101])/2 - (biases12[100]+biases12[101])/2},
		{"a quarter past 0", first + (rawEstimates12[1]-first)/4, precision,
			first + (rawEstimates12[1]-first)/4 - (biases12[0] + (biases12[1]-biases12[0])/4)},
		{"below the table", math.Nextafter(first, 0), precision, math.Nextafter(first, 0)},
		{"above the table", math.Nextafter(last, math.Inf(1)), precision, math.Nextafter(last, math.Inf(1))},
		{"other precision", rawEstimates12[100], 11, rawEstimates12[100]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := correctBias(tt.raw, tt.p); math.Abs(got-tt.want) > 1e-9*tt.want {
				t.Errorf("correctBias(%v) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestAllocations(t *testing.T) {
	dense := sketchOf(precision, false, sequence(0, 5000)...)
	value := []byte("203.0.113.7 Mozilla/5.0")
	if n := testing.AllocsPerRun(100, func() { dense.Add(value) }); n != 0 {
		t.Errorf("Add to a dense sketch: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { dense.AddString("203.0.113.7 Mozilla/5.0") }); n != 0 {
		t.Errorf("AddString to a dense sketch: %v allocations, want 0", n)
	}
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { _, _ = dense.AppendBinary(buf[:0]) }); n != 0 {
		t.Errorf("AppendBinary with room: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = dense.Estimate() }); n != 0 {
		t.Errorf("Estimate: %v allocations, want 0", n)
	}
}
