package hll

import (
	"bytes"
	"encoding/binary"
	"fmt"
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
