package hll

import (
	"strconv"
	"testing"
)

// visitorValues returns n values shaped like a visitor: address and user
// agent.
func visitorValues(n int) [][]byte {
	values := make([][]byte, n)
	for i := range values {
		values[i] = []byte("198.51." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255) +
			" Mozilla/5.0 (X11; Linux x86_64; rv:" + strconv.Itoa(i) + ") Gecko/20100101 Firefox/133.0")
	}
	return values
}

func BenchmarkAdd(b *testing.B) {
	values := visitorValues(1 << 16)
	for _, bc := range []struct {
		name string
		seed int // values added before timing starts
	}{
		{"sparse", 0},
		{"dense", 5000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			s := New()
			for _, v := range values[:bc.seed] {
				s.Add(v)
			}
			i := 0
			for b.Loop() {
				if bc.seed == 0 && i%maxSparseEntries == 0 {
					s = New() // stay sparse
				}
				s.Add(values[i%len(values)])
				i++
			}
		})
	}
}

func BenchmarkMerge(b *testing.B) {
	small := sketchOf(precision, false, sequence(0, 200)...)
	other := sketchOf(precision, false, sequence(100, 300)...)
	dense := sketchOf(precision, false, sequence(0, 100_000)...)
	for _, bc := range []struct {
		name        string
		into, merge *Sketch
	}{
		{"sparse into sparse", small, other},
		{"sparse into dense", dense, small},
		{"dense into dense", dense, dense},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			// After the first merge s holds the union and each merge
			// repeats the same work.
			s := New()
			if err := s.Merge(bc.into); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := s.Merge(bc.merge); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMarshalBinary(b *testing.B) {
	for _, n := range []int64{200, 100_000} {
		s := sketchOf(precision, false, sequence(0, n)...)
		b.Run(strconv.FormatInt(n, 10), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.MarshalBinary(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnmarshalBinary(b *testing.B) {
	for _, n := range []int64{200, 100_000} {
		data, _ := sketchOf(precision, false, sequence(0, n)...).MarshalBinary()
		b.Run(strconv.FormatInt(n, 10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var s Sketch
				if err := s.UnmarshalBinary(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEstimate(b *testing.B) {
	s := sketchOf(precision, false, sequence(0, 100_000)...)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Estimate()
	}
}
