package rollup

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/summary"
)

// writeInputs lays out files summaries of rows rows each for date under
// dir/bucket/summaries/, as the function writes them (date,path, CSV):
// each file counts rows paths drawn from a pool four times as large, so
// that files overlap as a busy day's do.
func writeInputs(tb testing.TB, dir string, files, rows int) {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	pool := make([]string, 4*rows)
	for i := range pool {
		pool[i] = fmt.Sprintf("/app/%d/item-%d", i%37, i)
	}
	s := summary.New(summary.MustParseDimensions("date,path"))
	folder := filepath.Join(dir, bucket, "summaries", "dt="+date)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	rowsOut := make([]summary.Row, rows)
	for f := range files {
		for i, j := range r.Perm(len(pool))[:rows] {
			rowsOut[i] = summary.Row{Values: []string{date, pool[j]}, Count: 1 + r.Int64N(500)}
		}
		buf.Reset()
		if err := s.Encode(&buf, summary.CSV, rowsOut); err != nil {
			tb.Fatal(err)
		}
		name := fmt.Sprintf("123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20261126T%04dZ_10.0.1.5_%04d.csv", f%2400, f)
		if err := os.WriteFile(filepath.Join(folder, name), buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkRebuild600x1000 rebuilds one date from scratch out of 600
// per-file summaries of 1,000 rows each (a day of 5-minute files from two
// load balancer nodes, plus some), in a local directory.
func BenchmarkRebuild600x1000(b *testing.B) {
	dir := b.TempDir()
	writeInputs(b, dir, 600, 1000)
	builder := &Builder{Store: objstore.Dir{Root: dir}, Bucket: bucket, SummaryPrefix: "summaries/", RollupPrefix: "rollups/",
		Dimensions: summary.MustParseDimensions("date,path")}
	rollupFile := filepath.Join(dir, bucket, "rollups", "dt="+date, Name)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		os.Remove(rollupFile)
		b.StartTimer()
		res, err := builder.Build(ctx, date)
		if err != nil || res.Outcome != Written || res.Inputs != 600 {
			b.Fatalf("Build = %+v, %v", res, err)
		}
	}
}
