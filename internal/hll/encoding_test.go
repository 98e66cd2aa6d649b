package hll

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/murmur3"
)

// hashLong is Airlift's Murmur3Hash128.hash64(long): the hash of the
// value's 8 little-endian bytes, as Athena hashes a BIGINT.
func hashLong(v int64) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	h1, _ := murmur3.Sum128(b[:])
	return h1
}

// sketchOf returns a sketch of 2^p buckets, sparse or dense from the
// start, holding the longs.
func sketchOf(p uint8, dense bool, longs ...int64) *Sketch {
	s := newPrecision(p)
	if dense {
		s.makeDense()
	}
	for _, v := range longs {
		s.AddHash(hashLong(v))
	}
	return s
}

func sequence(from, to int64) []int64 {
	var vs []int64
	for v := from; v < to; v++ {
		vs = append(vs, v)
	}
	return vs
}

// denseBytes builds a dense v2 sketch: the deltas, all zero but for the
// slots given, then the overflow entries.
func denseBytes(p, baseline uint8, slots map[int]byte, overflows ...[2]int) []byte {
	b := []byte{tagDenseV2, p, baseline}
	deltas := make([]byte, 1<<p/2)
	for i, v := range slots {
		deltas[i] = v
	}
	b = append(b, deltas...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(overflows)))
	for _, o := range overflows {
		b = binary.LittleEndian.AppendUint16(b, uint16(o[0]))
	}
	for _, o := range overflows {
		b = append(b, byte(o[1]))
	}
	return b
}

func slotsOf(deltas ...byte) map[int]byte {
	slots := map[int]byte{}
	for i, d := range deltas {
		slots[i] = d
	}
	return slots
}

// TestAirliftVectors checks the bytes that Airlift's own serialization
// tests (TestSparseSerialization, TestDenseSerialization) pin.
func TestAirliftVectors(t *testing.T) {
	single := newPrecision(12)
	single.Add([]byte{64})
	baseline100 := []byte{0x45, 0x23, 0x01, 0x31, 0x22, 0x05, 0x04, 0x01}
	baselineOverflow := []byte{0x45, 0x23, 0x01, 0x31, 0x22, 0x05, 0x04, 0xF1}
	tests := []struct {
		name   string
		sketch *Sketch
		want   []byte
	}{
		{"sparse empty", newPrecision(12), []byte{2, 12, 0, 0}},
		{"sparse single byte 64", single, []byte{2, 12, 1, 0, 0b0100_0010, 0b0011_0100, 0b0010_0000, 0b0010_0001}},
		{"dense empty", sketchOf(12, true), denseBytes(12, 0, nil)},
		{"dense long 0", sketchOf(12, true, 0), denseBytes(12, 0, map[int]byte{326: 0b0000_0001})},
		{"dense one overflow", sketchOf(12, true, 61697), denseBytes(12, 0, map[int]byte{1353: 0b1111_0000}, [2]int{0x0A92, 2})},
		{"dense two overflows", sketchOf(12, true, 61697, 394873),
			denseBytes(12, 0, map[int]byte{1353: 0b1111_0000, 2024: 0b1111_0000}, [2]int{146 | 10<<8, 2}, [2]int{208 | 15<<8, 4})},
		{"dense two overflows reversed", sketchOf(12, true, 394873, 61697),
			denseBytes(12, 0, map[int]byte{1353: 0b1111_0000, 2024: 0b1111_0000}, [2]int{146 | 10<<8, 2}, [2]int{208 | 15<<8, 4})},
		{"p4 baseline adjustment", sketchOf(4, true, sequence(0, 100)...), denseBytes(4, 2, slotsOf(baseline100...))},
		{"p4 overflow after baseline increment", sketchOf(4, true, append(sequence(0, 100), 37227)...),
			denseBytes(4, 2, slotsOf(baselineOverflow...), [2]int{14, 5})},
		{"p4 baseline adjustment after overflow", sketchOf(4, true, append([]int64{37227}, sequence(0, 100)...)...),
			denseBytes(4, 2, slotsOf(baselineOverflow...), [2]int{14, 5})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sketch.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("MarshalBinary: %s", diffHex(got, tt.want))
			}
			decoded, err := decode(tt.want)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			again, _ := decoded.MarshalBinary()
			if !bytes.Equal(again, tt.want) {
				t.Fatalf("decode then MarshalBinary: %s", diffHex(again, tt.want))
			}
		})
	}
}

// diffHex shows where two byte strings first differ.
func diffHex(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	window := func(b []byte) []byte { return b[i:min(len(b), i+16)] }
	return fmt.Sprintf("%d bytes, want %d; first difference at byte %d: got % x, want % x",
		len(got), len(want), i, window(got), window(want))
}

// readVelox returns the valid p=12 dense sketch of Velox's DenseHllTest.
func readVelox(t testing.TB) []byte {
	t.Helper()
	text, err := os.ReadFile("testdata/velox-dense.b64")
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(text)))
	if err != nil {
		t.Fatalf("testdata/velox-dense.b64: %v", err)
	}
	return data
}

func TestVeloxSketches(t *testing.T) {
	data := readVelox(t)
	var s Sketch
	if err := s.UnmarshalBinary(data); err != nil {
		t.Fatalf("testdata/velox-dense.b64: %v", err)
	}
	if got := mustMarshal(t, &s); !bytes.Equal(got, data) {
		t.Errorf("testdata/velox-dense.b64 written back: %s", diffHex(got, data))
	}

	// Velox's DenseHllTest.canDeserialize: a dense tag but not a sketch.
	invalid := []struct{ base64, err string }{
		{"AxIRESUhEzNBFCQWYxEjIzI1ISURNidCMlViIjOSNyATBhYSIiJDUyMBIlcSMDUiEUEiESM1ITckQkQTMSMhMyQx", "byte 1: precision 18 out of range"},
		{"Aw==", "truncated at byte 1"},
		{"AyAAABEQAgAlAgAQAQAlMgAhQQABAwAAERAAAAEQACA=", "byte 1: precision 32 out of range"},
		{"AwDuUjGFaQ==", "byte 1: precision 0 out of range"},
		{"AwkLD8BYTA9BXyg=", "dense sketch of 512 buckets truncated at byte 11"},
	}
	for _, tt := range invalid {
		err := s.UnmarshalText([]byte(tt.base64))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("UnmarshalText(%s) = %v, want an error with %q", tt.base64, err, tt.err)
		}
	}
}

// TestDenseV1 reads Airlift's TestDenseSerialization cases of the older
// dense format: one overflow entry at most, "none" spelled as a negative
// bucket or a zero value.
func TestDenseV1(t *testing.T) {
	v1 := func(baseline uint8, deltas []byte, overflow ...byte) []byte {
		return append(append([]byte{tagDenseV1, 4, baseline}, deltas...), overflow...)
	}
	tests := []struct {
		name  string
		data  []byte
		want2 uint8 // bucket 1; the others are the baseline
	}{
		{"no overflow", v1(10, make([]byte, 8), 0xFF, 0xFF, 0), 10},
		{"empty overflow", v1(2, []byte{0x0F, 0, 0, 0, 0, 0, 0, 0}, 0x01, 0x00, 0), 17},
		{"overflow", v1(2, []byte{0x0F, 0, 0, 0, 0, 0, 0, 0}, 0x01, 0x00, 3), 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := decode(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			baseline := tt.data[2]
			for bucket, v := range s.registers {
				want := baseline
				if bucket == 1 {
					want = tt.want2
				}
				if v != want {
					t.Errorf("bucket %d = %d, want %d", bucket, v, want)
				}
			}
			// Written back as format 3, with the same registers.
			again, err := decode(mustMarshal(t, s))
			if err != nil {
				t.Fatal(err)
			}
			if again.registers == nil || !slices.Equal(again.registers, s.registers) {
				t.Errorf("written back as format 3: registers %v, want %v", again.registers, s.registers)
			}
		})
	}
}

// TestRoundTrip writes, reads and writes again a sketch after every value
// added, in both forms, as Airlift's testRoundtrip does at p=4, and at p=12.
func TestRoundTrip(t *testing.T) {
	for _, p := range []uint8{4, precision} {
		for _, dense := range []bool{false, true} {
			s := sketchOf(p, dense)
			for v := range int64(1000) {
				s.AddHash(hashLong(v))
				b := mustMarshal(t, s)
				decoded, err := decode(b)
				if err != nil {
					t.Fatalf("p=%d dense=%v after %d values: %v", p, dense, v+1, err)
				}
				if again := mustMarshal(t, decoded); !bytes.Equal(again, b) {
					t.Fatalf("p=%d dense=%v after %d values: %s", p, dense, v+1, diffHex(again, b))
				}
				if decoded.Estimate() != s.Estimate() {
					t.Fatalf("p=%d dense=%v after %d values: estimate %d read back as %d", p, dense, v+1, s.Estimate(), decoded.Estimate())
				}
			}
		}
	}
}

func TestText(t *testing.T) {
	s := New()
	s.Add([]byte{64})
	text, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	// base64 of 02 0c 01 00 42 34 20 21
	if want := "AgwBAEI0ICE="; string(text) != want {
		t.Errorf("MarshalText = %s, want %s", text, want)
	}
	var back Sketch
	if err := back.UnmarshalText(text); err != nil {
		t.Fatal(err)
	}
	if got := mustMarshal(t, &back); !bytes.Equal(got, mustMarshal(t, s)) {
		t.Errorf("UnmarshalText: %s", diffHex(got, mustMarshal(t, s)))
	}
	if err := back.UnmarshalText([]byte("AgwBAEI0I!E=")); err == nil || !strings.Contains(err.Error(), "illegal base64 data at input byte 9") {
		t.Errorf("UnmarshalText of bad base64 = %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	sparse := func(n uint16, entries ...uint32) []byte {
		b := binary.LittleEndian.AppendUint16([]byte{tagSparseV2, 12}, n)
		for _, e := range entries {
			b = binary.LittleEndian.AppendUint32(b, e)
		}
		return b
	}
	entry := func(index, zeros uint32) uint32 { return index<<sparseValueBits | zeros }
	// dense returns a p=4 dense v2 sketch, its overflow part as given.
	dense := func(baseline uint8, deltas []byte, overflows ...byte) []byte {
		return append(append([]byte{tagDenseV2, 4, baseline}, deltas...), overflows...)
	}
	deltas := func(slots map[int]byte) []byte {
		d := make([]byte, 8)
		for i, v := range slots {
			d[i] = v
		}
		return d
	}
	full := deltas(map[int]byte{0: 0xF0, 1: 0x0F, 7: 0x01}) // buckets 0 and 3 at 15, bucket 15 at 1
	tests := []struct {
		name string
		data []byte
		err  string
	}{
		{"empty", nil, "hll: empty input"},
		{"sparse v1", []byte{0, 12, 0, 0}, "hll: byte 0: format tag 0, Airlift's retired sparse v1, is not supported"},
		{"unknown tag", []byte{4, 12}, "hll: byte 0: unknown format tag 4"},
		{"no precision", []byte{2}, "hll: truncated at byte 1: no precision"},
		{"precision 3", []byte{2, 3, 0, 0}, "hll: byte 1: precision 3 out of range [4, 16]"},
		{"precision 17", []byte{3, 17}, "hll: byte 1: precision 17 out of range [4, 16]"},
		{"sparse no count", []byte{2, 12, 1}, "hll: sparse sketch truncated at byte 3 of at least 4"},
		{"sparse missing entry", sparse(2, entry(1, 0)), "hll: sparse sketch of 2 entries truncated at byte 8 of 12"},
		{"sparse trailing bytes", append(sparse(1, entry(1, 0)), 0, 0), "hll: byte 8: 2 bytes after the end of a sparse sketch of 1 entries"},
		{"sparse unsorted", sparse(3, entry(1, 0), entry(5, 0), entry(4, 0)), "hll: byte 12: sparse entry 2 has index 4, not after 5"},
		{"sparse duplicate", sparse(2, entry(7, 1), entry(7, 2)), "hll: byte 8: sparse entry 1 has index 7, not after 7"},
		{"sparse too many zeros", sparse(2, entry(1, 38), entry(2, 39)), "hll: byte 8: sparse entry 1 counts 39 zeros, more than the 38 bits a hash has left"},
		{"dense no baseline", []byte{3, 4}, "hll: dense sketch of 16 buckets truncated at byte 2 of at least 13"},
		{"dense short deltas", dense(0, make([]byte, 7)), "hll: dense sketch of 16 buckets truncated at byte 10 of at least 13"},
		{"dense no overflow count", dense(0, make([]byte, 8), 0), "hll: dense sketch of 16 buckets truncated at byte 12 of at least 13"},
		{"dense too many overflows", dense(0, make([]byte, 8), 17, 0), "hll: byte 11: 17 overflow entries for 16 buckets"},
		{"dense missing overflow", dense(0, full, 2, 0, 0, 0, 1), "hll: dense sketch of 16 buckets and 2 overflow entries truncated at byte 16 of 19"},
		{"dense trailing byte", dense(0, full, 0, 0, 9), "hll: byte 13: 1 bytes after the end of a dense sketch of 16 buckets and 0 overflow entries"},
		{"dense bucket out of range", dense(0, full, 1, 0, 16, 0, 1), "hll: byte 13: overflow bucket 16 out of range [0, 16)"},
		{"dense buckets unsorted", dense(0, full, 2, 0, 3, 0, 0, 0, 1, 1), "hll: byte 15: overflow bucket 0 not after 3"},
		{"dense buckets repeated", dense(0, full, 2, 0, 3, 0, 3, 0, 1, 1), "hll: byte 15: overflow bucket 3 not after 3"},
		{"dense overflow below 15", dense(0, full, 1, 0, 15, 0, 1), "hll: byte 13: overflow for bucket 15, whose delta 1 is below 15"},
		{"dense zero overflow", dense(0, full, 1, 0, 3, 0, 0), "hll: byte 15: overflow of bucket 3 is zero"},
		{"dense overflow too large", dense(0, full, 1, 0, 3, 0, 47), "hll: byte 15: overflow 47 takes bucket 3 to 62, above 61"},
		{"dense baseline too large", dense(62, make([]byte, 8), 0, 0), "hll: byte 2: baseline 62 above 61, the largest value of a register of 16 buckets"},
		{"dense delta too large", dense(50, full, 0, 0), "hll: byte 3: bucket 0 has value 65, above 61"},
		{"dense v1 short", []byte{1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, "hll: dense v1 sketch of 16 buckets truncated at byte 13 of 14"},
		{"dense v1 bucket out of range", []byte{1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 1}, "hll: byte 11: overflow bucket 16 out of range [0, 16)"},
		{"dense v1 overflow below 15", []byte{1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1}, "hll: byte 11: overflow for bucket 2, whose delta 0 is below 15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := decode(tt.data)
			if err == nil {
				t.Fatalf("decode(% x) = %v, want error %q", tt.data, s, tt.err)
			}
			if err.Error() != tt.err {
				t.Errorf("decode(% x):\n got %v\nwant %s", tt.data, err, tt.err)
			}
		})
	}
}

func TestUnmarshalBinary(t *testing.T) {
	s := New()
	s.AddString("kept")
	before := mustMarshal(t, s)

	// A valid sketch of another precision: Athena could not merge it.
	err := s.UnmarshalBinary(mustMarshal(t, sketchOf(4, true, 1, 2, 3)))
	if want := "hll: byte 1: sketch of 16 buckets (p=4), want 4096 (p=12)"; err == nil || err.Error() != want {
		t.Errorf("UnmarshalBinary of p=4 = %v, want %s", err, want)
	}
	if err := s.UnmarshalBinary([]byte{2, 12, 1, 0}); err == nil {
		t.Error("UnmarshalBinary of a truncated sketch succeeded")
	}
	if after := mustMarshal(t, s); !bytes.Equal(after, before) {
		t.Errorf("a failed UnmarshalBinary changed the sketch: %s", diffHex(after, before))
	}

	// A sketch read back goes on like the original.
	dense := sketchOf(precision, false, sequence(0, 3000)...)
	var back Sketch
	if err := back.UnmarshalBinary(mustMarshal(t, dense)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Sketch{dense, &back} {
		for _, v := range sequence(2000, 6000) {
			s.AddHash(hashLong(v))
		}
	}
	if got, want := mustMarshal(t, &back), mustMarshal(t, dense); !bytes.Equal(got, want) {
		t.Errorf("values added after reading: %s", diffHex(got, want))
	}
}

// isCanonical tells whether data is in the form MarshalBinary writes,
// judged without it: format 2, or format 3 with its baseline the smallest
// register (some delta zero).
func isCanonical(data []byte) bool {
	switch data[0] {
	case tagSparseV2:
		return true
	case tagDenseV2:
		deltas := data[3 : 3+(1<<data[1])/2]
		for bucket := range 1 << data[1] {
			if delta(deltas, bucket) == 0 {
				return true
			}
		}
	}
	return false
}

// FuzzUnmarshalBinary checks that no input makes decode panic, and that
// whatever it accepts is written back in a form it reads again to the same
// bytes and estimate: byte for byte the input where that was in that form.
func FuzzUnmarshalBinary(f *testing.F) {
	f.Add(readVelox(f))
	f.Add([]byte{2, 12, 1, 0, 0x42, 0x34, 0x20, 0x21})
	f.Add(mustMarshal(f, sketchOf(12, false, sequence(0, 300)...)))
	f.Add(mustMarshal(f, sketchOf(4, false, sequence(0, 20)...)))
	f.Add(mustMarshal(f, sketchOf(4, true, append(sequence(0, 100), 37227)...)))
	f.Add(mustMarshal(f, sketchOf(12, true, 61697, 394873)))
	f.Add([]byte{1, 4, 2, 0x0F, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 3})
	f.Add([]byte{3, 4, 9, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0, 0}) // baseline below every register
	f.Add([]byte{0, 12, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var public Sketch
		publicErr := public.UnmarshalBinary(data)
		s, err := decode(data)
		if err != nil {
			if publicErr == nil {
				t.Fatalf("UnmarshalBinary accepted what decode rejects: %v", err)
			}
			return
		}
		if (publicErr == nil) != (s.p == precision) {
			t.Fatalf("UnmarshalBinary of p=%d: %v", s.p, publicErr)
		}
		out := mustMarshal(t, s)
		again, err := decode(out)
		if err != nil {
			t.Fatalf("reading back what MarshalBinary wrote: %v", err)
		}
		if out2 := mustMarshal(t, again); !bytes.Equal(out2, out) {
			t.Fatalf("second round trip: %s", diffHex(out2, out))
		}
		if isCanonical(data) && !bytes.Equal(out, data) {
			t.Fatalf("round trip: %s", diffHex(out, data))
		}
		if s.Estimate() != again.Estimate() {
			t.Fatalf("estimate %d read back as %d", s.Estimate(), again.Estimate())
		}
		if err := again.Merge(s); err != nil {
			t.Fatal(err)
		}
		if merged := mustMarshal(t, again); !bytes.Equal(merged, out) {
			t.Fatalf("merged with itself: %s", diffHex(merged, out))
		}
	})
}
