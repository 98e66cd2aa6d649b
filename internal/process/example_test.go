package process_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
)

func ExampleProcessor_Process() {
	var log bytes.Buffer
	loggen.Write(&log, loggen.Config{Seed: 1, Lines: 100}) // 23:55 to 00:05 UTC
	key := "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/" +
		"123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz"
	ctx := context.Background()
	store := &objstoretest.Store{}
	store.Put(ctx, "logs", key, loggen.Gzip(log.Bytes()), objstore.PutOptions{})

	cfg := process.DefaultConfig()
	cfg.Dimensions = summary.MustParseDimensions("date,method")
	p := &process.Processor{Store: store, Config: cfg, Now: func() time.Time {
		return time.Date(2026, 11, 26, 0, 6, 30, 0, time.UTC)
	}}
	rep, err := p.Process(ctx, "logs", key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Outcome, rep.Stats.Lines, "lines,", rep.Requests, "requests, lag", rep.Lag)
	summaries, err := objstoretest.Objects(ctx, store, "logs", "summaries/")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(summaries)) {
		fmt.Printf("logs/%s\n%s", k, summaries[k])
	}
	// Output:
	// summarized 100 lines, 100 requests, lag 1m30s
	// logs/summaries/dt=2026-11-25/123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.csv
	// date,method,count
	// 2026-11-25,GET,44
	// 2026-11-25,POST,4
	// 2026-11-25,PROPFIND,2
	// logs/summaries/dt=2026-11-26/123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.csv
	// date,method,count
	// 2026-11-26,GET,45
	// 2026-11-26,HEAD,1
	// 2026-11-26,POST,4
}
