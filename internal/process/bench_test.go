package process

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/summary"
)

// benchInput is a gzipped generated log held in memory, so that the
// benchmarks measure decompression and parsing, not the disk.
func benchInput(b *testing.B, lines int) (zipped []byte, plainSize int64) {
	b.Helper()
	var plain, z bytes.Buffer
	if _, err := loggen.Write(&plain, loggen.Config{Seed: 1, Lines: lines}); err != nil {
		b.Fatal(err)
	}
	zw := kgzip.NewWriter(&z)
	zw.Write(plain.Bytes())
	zw.Close()
	return z.Bytes(), int64(plain.Len())
}

// BenchmarkReadLog measures a whole gzipped file: decompression, line
// splitting, parsing and counting. Its Decompress* siblings give the cost of
// inflating alone with each gzip package, for comparison in the same run.
// MB/s are of decompressed log text.
func BenchmarkReadLog(b *testing.B) {
	zipped, size := benchInput(b, 100_000)
	dims := summary.MustParseDimensions(contract.DefaultGroupBy)
	b.Run("summarize", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ReadLog(bytes.NewReader(zipped), summary.New(dims)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same with filters: the cost of a filter is the difference.
	for _, f := range []struct{ name, include, exclude string }{
		{"filter-action", "", "action=redirect"},
		{"filter-bot", "bot=no", ""},
		{"filter-bot-and-action", "bot=no", "action=redirect"},
	} {
		filter := summary.MustParseFilter(f.include, f.exclude)
		b.Run("summarize-"+f.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ReadFilteredLog(bytes.NewReader(zipped), summary.New(dims), filter); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, d := range []struct {
		name      string
		newReader func(io.Reader) (io.Reader, error)
	}{
		{"decompress-klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
		{"decompress-stdlib", func(r io.Reader) (io.Reader, error) { return stdgzip.NewReader(r) }},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				zr, err := d.newReader(bytes.NewReader(zipped))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, zr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
