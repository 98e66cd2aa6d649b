package hll

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
)

// Airlift's format tags, the first byte of a serialized sketch.
const (
	tagSparseV1 = 0 // retired by Airlift itself; not read
	tagDenseV1  = 1 // one overflow entry at most; read only
	tagSparseV2 = 2
	tagDenseV2  = 3
)

// A dense register holds its value minus the sketch's baseline in 4 bits;
// values maxDelta and more above the baseline keep the rest in an overflow
// entry.
const maxDelta = 1<<4 - 1

// MarshalBinary returns the sketch in Airlift's serialization, the bytes of
// CAST(approx_set(x) AS varbinary): sparse (format 2) or dense (format 3)
// as the sketch is. It never fails.
func (s *Sketch) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(nil)
}

// AppendBinary appends the bytes MarshalBinary returns to b.
func (s *Sketch) AppendBinary(b []byte) ([]byte, error) {
	p := s.precision()
	if s.registers == nil {
		// tag | p | u16 n | n × u32 entry, little-endian
		b = slices.Grow(b, 4+4*len(s.entries))
		b = append(b, tagSparseV2, p)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(s.entries)))
		for _, e := range s.entries {
			b = binary.LittleEndian.AppendUint32(b, e)
		}
		return b, nil
	}

	// tag | p | baseline | 2^p/2 bytes of 4-bit deltas | u16 k |
	// k × u16 bucket | k × u8 overflow. The baseline is the smallest
	// register, even buckets take the high nibble, and overflow entries are
	// sorted by bucket, so equal sketches serialize alike.
	baseline := slices.Min(s.registers)
	overflows := 0
	for _, v := range s.registers {
		if v-baseline > maxDelta {
			overflows++
		}
	}
	b = slices.Grow(b, 3+len(s.registers)/2+2+3*overflows)
	b = append(b, tagDenseV2, p, baseline)
	for i := 0; i < len(s.registers); i += 2 {
		hi := min(s.registers[i]-baseline, maxDelta)
		lo := min(s.registers[i+1]-baseline, maxDelta)
		b = append(b, hi<<4|lo)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(overflows))
	for bucket, v := range s.registers {
		if v-baseline > maxDelta {
			b = binary.LittleEndian.AppendUint16(b, uint16(bucket))
		}
	}
	for _, v := range s.registers {
		if v-baseline > maxDelta {
			b = append(b, v-baseline-maxDelta)
		}
	}
	return b, nil
}

// UnmarshalBinary sets s to the sketch that data holds in Airlift's
// serialization: sparse (format 2), dense (format 3) or the older dense
// format 1, which MarshalBinary writes back as format 3. The sketch must
// have 4096 buckets. On error, s is unchanged and the error tells what is
// wrong at which byte.
func (s *Sketch) UnmarshalBinary(data []byte) error {
	t, err := decode(data)
	if err != nil {
		return err
	}
	if t.p != precision {
		return fmt.Errorf("hll: byte 1: sketch of %d buckets (p=%d), want %d (p=%d)", 1<<t.p, t.p, 1<<precision, precision)
	}
	*s = *t
	return nil
}

// MarshalText returns the standard base64 encoding of MarshalBinary's bytes,
// what Athena's from_base64 reads.
func (s *Sketch) MarshalText() ([]byte, error) {
	b, _ := s.MarshalBinary()
	return base64.StdEncoding.AppendEncode(nil, b), nil
}

// UnmarshalText decodes what MarshalText returns, as UnmarshalBinary.
func (s *Sketch) UnmarshalText(text []byte) error {
	data, err := base64.StdEncoding.AppendDecode(nil, text)
	if err != nil {
		return fmt.Errorf("hll: %w", err)
	}
	return s.UnmarshalBinary(data)
}

// decode reads a sketch of any precision Athena supports. Beyond what
// Airlift's reader checks, it rejects bytes that no Airlift writer makes
// and that have no single meaning: entries or overflow buckets out of
// order or repeated, an overflow for a register that needs none, a
// register no hash can reach. A dense baseline below every register is
// read as it is, and written back as the smallest register.
func decode(data []byte) (*Sketch, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("hll: empty input")
	}
	tag := data[0]
	switch tag {
	case tagSparseV2, tagDenseV2, tagDenseV1:
	case tagSparseV1:
		return nil, fmt.Errorf("hll: byte 0: format tag 0, Airlift's retired sparse v1, is not supported")
	default:
		return nil, fmt.Errorf("hll: byte 0: unknown format tag %d", tag)
	}
	if len(data) < 2 {
		return nil, fmt.Errorf("hll: truncated at byte 1: no precision")
	}
	p := data[1]
	if p < minPrecision || p > maxPrecision {
		return nil, fmt.Errorf("hll: byte 1: precision %d out of range [%d, %d]", p, minPrecision, maxPrecision)
	}
	if tag == tagSparseV2 {
		return decodeSparse(data, p)
	}
	return decodeDense(data, p)
}

func decodeSparse(data []byte, p uint8) (*Sketch, error) {
	const header = 4
	if len(data) < header {
		return nil, fmt.Errorf("hll: sparse sketch truncated at byte %d of at least %d", len(data), header)
	}
	n := int(binary.LittleEndian.Uint16(data[2:]))
	if want := header + 4*n; len(data) != want {
		return nil, lengthError(data, want, fmt.Sprintf("sparse sketch of %d entries", n))
	}
	s := &Sketch{p: p, entries: make([]uint32, n)}
	for i := range s.entries {
		at := header + 4*i
		e := binary.LittleEndian.Uint32(data[at:])
		if zeros := e & sparseValueMask; zeros > maxSparseZeros {
			return nil, fmt.Errorf("hll: byte %d: sparse entry %d counts %d zeros, more than the %d bits a hash has left", at, i, zeros, maxSparseZeros)
		}
		if i > 0 && e>>sparseValueBits <= s.entries[i-1]>>sparseValueBits {
			return nil, fmt.Errorf("hll: byte %d: sparse entry %d has index %d, not after %d", at, i, e>>sparseValueBits, s.entries[i-1]>>sparseValueBits)
		}
		s.entries[i] = e
	}
	return s, nil
}

func decodeDense(data []byte, p uint8) (*Sketch, error) {
	m := 1 << p
	const deltasAt = 3
	overflowsAt := deltasAt + m/2
	if len(data) < overflowsAt {
		return nil, fmt.Errorf("hll: dense sketch of %d buckets truncated at byte %d of at least %d", m, len(data), overflowsAt+2)
	}
	// A register is one more than a count of zeros among the 64-p bits of a
	// hash below its bucket.
	maxValue := 64 - int(p) + 1
	baseline := data[2]
	if int(baseline) > maxValue {
		return nil, fmt.Errorf("hll: byte 2: baseline %d above %d, the largest value of a register of %d buckets", baseline, maxValue, m)
	}
	s := &Sketch{p: p, registers: make([]uint8, m)}
	for bucket := range s.registers {
		v := baseline + delta(data[deltasAt:], bucket)
		if int(v) > maxValue {
			return nil, fmt.Errorf("hll: byte %d: bucket %d has value %d, above %d", deltasAt+bucket/2, bucket, v, maxValue)
		}
		s.registers[bucket] = v
	}

	var overflowBuckets []int
	var overflowValues []byte
	var bucketsAt, valuesAt int
	if data[0] == tagDenseV1 {
		// u16 bucket | u8 overflow, signed as Airlift reads them: a
		// negative bucket or a value of zero or less means none.
		if want := overflowsAt + 3; len(data) != want {
			return nil, lengthError(data, want, fmt.Sprintf("dense v1 sketch of %d buckets", m))
		}
		bucket := int16(binary.LittleEndian.Uint16(data[overflowsAt:]))
		value := int8(data[overflowsAt+2])
		if bucket >= 0 && value > 0 {
			overflowBuckets = []int{int(bucket)}
			overflowValues = data[overflowsAt+2:]
		}
		bucketsAt, valuesAt = overflowsAt, overflowsAt+2
	} else {
		if len(data) < overflowsAt+2 {
			return nil, fmt.Errorf("hll: dense sketch of %d buckets truncated at byte %d of at least %d", m, len(data), overflowsAt+2)
		}
		k := int(binary.LittleEndian.Uint16(data[overflowsAt:]))
		if k > m {
			return nil, fmt.Errorf("hll: byte %d: %d overflow entries for %d buckets", overflowsAt, k, m)
		}
		if want := overflowsAt + 2 + 3*k; len(data) != want {
			return nil, lengthError(data, want, fmt.Sprintf("dense sketch of %d buckets and %d overflow entries", m, k))
		}
		overflowBuckets = make([]int, k)
		for i := range overflowBuckets {
			overflowBuckets[i] = int(binary.LittleEndian.Uint16(data[overflowsAt+2+2*i:]))
		}
		bucketsAt, valuesAt = overflowsAt+2, overflowsAt+2+2*k
		overflowValues = data[valuesAt : valuesAt+k]
	}

	for i, bucket := range overflowBuckets {
		at := bucketsAt + 2*i
		switch {
		case bucket >= m:
			return nil, fmt.Errorf("hll: byte %d: overflow bucket %d out of range [0, %d)", at, bucket, m)
		case i > 0 && bucket <= overflowBuckets[i-1]:
			return nil, fmt.Errorf("hll: byte %d: overflow bucket %d not after %d", at, bucket, overflowBuckets[i-1])
		case delta(data[deltasAt:], bucket) != maxDelta:
			return nil, fmt.Errorf("hll: byte %d: overflow for bucket %d, whose delta %d is below %d", at, bucket, delta(data[deltasAt:], bucket), maxDelta)
		case overflowValues[i] == 0:
			return nil, fmt.Errorf("hll: byte %d: overflow of bucket %d is zero", valuesAt+i, bucket)
		case int(s.registers[bucket])+int(overflowValues[i]) > maxValue:
			return nil, fmt.Errorf("hll: byte %d: overflow %d takes bucket %d to %d, above %d", valuesAt+i, overflowValues[i], bucket, int(s.registers[bucket])+int(overflowValues[i]), maxValue)
		}
		s.registers[bucket] += overflowValues[i]
	}
	return s, nil
}

// lengthError tells how data, which holds what, is not want bytes long.
func lengthError(data []byte, want int, what string) error {
	if len(data) < want {
		return fmt.Errorf("hll: %s truncated at byte %d of %d", what, len(data), want)
	}
	return fmt.Errorf("hll: byte %d: %d bytes after the end of a %s", want, len(data)-want, what)
}

// delta returns a bucket's 4 bits: even buckets are the high nibble.
func delta(deltas []byte, bucket int) uint8 {
	b := deltas[bucket/2]
	if bucket%2 == 0 {
		return b >> 4
	}
	return b & 0xf
}
