package process_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
)

// memStore is a Store in memory, for the example.
type memStore map[string][]byte

func (m memStore) Get(_ context.Context, bucket, key string) (*objstore.Object, error) {
	b, ok := m[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("%s/%s: %w", bucket, key, objstore.ErrNotFound)
	}
	return &objstore.Object{Body: io.NopCloser(bytes.NewReader(b)), Size: int64(len(b))}, nil
}

func (m memStore) Put(_ context.Context, bucket, key string, body []byte, _ objstore.PutOptions) error {
	m[bucket+"/"+key] = bytes.Clone(body)
	return nil
}

func ExampleProcessor_Process() {
	var log bytes.Buffer
	loggen.Write(&log, loggen.Config{Seed: 1, Lines: 100}) // 23:55 to 00:05 UTC
	key := "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/" +
		"123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz"
	store := memStore{"logs/" + key: loggen.Gzip(log.Bytes())}

	cfg := process.DefaultConfig()
	cfg.Dimensions = summary.MustParseDimensions("date,method")
	p := &process.Processor{Store: store, Config: cfg, Now: func() time.Time {
		return time.Date(2026, 11, 26, 0, 6, 30, 0, time.UTC)
	}}
	rep, err := p.Process(context.Background(), "logs", key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Outcome, rep.Stats.Lines, "lines,", rep.Requests, "requests, lag", rep.Lag)
	var keys []string
	for k := range store {
		if strings.HasPrefix(k, "logs/summaries/") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s\n%s", k, store[k])
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
