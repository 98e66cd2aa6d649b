package report

import (
	"bytes"
	"fmt"
	"time"

	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/summary"
)

// demoColumns group the demo's rollups as a site that uses the tracker
// and counts status codes and hosts would.
const demoColumns = "date,path,status,host,query:ev"

// demoBuilder fills b with 30 days of generated traffic, busier on
// weekdays, through the rollups' own format, and returns the requests of
// each date as the generator counted them.
func demoBuilder(b *Builder) (map[string]int64, error) {
	want := map[string]int64{}
	dims := []string{"date", "path", "status", "host", "query:ev"}
	start := time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC)
	for day := range 30 {
		t := start.AddDate(0, 0, day)
		lines := 900 + 37*day
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			lines /= 2
		}
		var log bytes.Buffer
		res, err := loggen.Write(&log, loggen.Config{Seed: uint64(day), Lines: lines, Start: t.Add(time.Hour), Span: 20 * time.Hour, Paths: 300})
		if err != nil {
			return nil, err
		}
		rows, err := res.Expected(dims)
		if err != nil {
			return nil, err
		}
		s := summary.New(summary.MustParseDimensions(demoColumns))
		for _, r := range rows {
			s.AddCount(r.Values, r.Count)
			want[r.Values[0]] += r.Count
		}
		var rollup bytes.Buffer
		if err := s.Write(&rollup, summary.JSONL); err != nil {
			return nil, err
		}
		date := t.Format(time.DateOnly)
		if err := b.Add(&rollup, summary.JSONL, fmt.Sprintf("demo/dt=%s/rollup.jsonl", date), date); err != nil {
			return nil, err
		}
	}
	return want, nil
}
