package loggen

import (
	"bufio"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// FloodConfig says what WriteFlood generates: a cardinality flood, as a
// scanner sends it, with a few paths that people keep requesting among
// its lines. The zero value of a field picks the default in its comment.
type FloodConfig struct {
	Seed     uint64
	OneOff   int           // lines each with a path no other line has; default 1,000,000
	Frequent int           // paths requested again and again; default 1000
	PerPath  int           // requests of each frequent path; default 1000
	Start    time.Time     // time of the first line; default 2026-11-26T12:00:00Z
	Span     time.Duration // time from first to last line; default 5 minutes, one delivery
}

func (c FloodConfig) withDefaults() FloodConfig {
	if c.OneOff == 0 {
		c.OneOff = 1_000_000
	}
	if c.Frequent == 0 {
		c.Frequent = 1000
	}
	if c.PerPath == 0 {
		c.PerPath = 1000
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	}
	if c.Span == 0 {
		c.Span = 5 * time.Minute
	}
	return c
}

// FloodResult is what WriteFlood wrote.
type FloodResult struct {
	Lines    int
	frequent map[[2]string]int64 // by date and path
}

// Frequent returns the count of each frequent path on each date, as rows
// of a summary grouped by date,path, sorted like pmdp sorts them: the
// rows every such summary of the log must hold exactly.
func (r *FloodResult) Frequent() []ExpectedRow {
	rows := make([]ExpectedRow, 0, len(r.frequent))
	for k, n := range r.frequent {
		rows = append(rows, ExpectedRow{Values: []string{k[0], k[1]}, Count: n})
	}
	slices.SortFunc(rows, func(a, b ExpectedRow) int { return slices.Compare(a.Values, b.Values) })
	return rows
}

// WriteFlood writes a flood of cfg.OneOff one-off paths (/flood/…) and
// cfg.PerPath requests of each of cfg.Frequent paths (/page/N) to w, as
// plain ALB lines in time order. Three quarters of the frequent paths are
// requested throughout; the last quarter only from halfway on, once the
// flood is well under way, as a page that becomes popular late would be.
func WriteFlood(w io.Writer, cfg FloodConfig) (*FloodResult, error) {
	cfg = cfg.withDefaults()
	rnd := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	// One entry per line: the index of a frequent path, or -1 for a
	// one-off path.
	early := cfg.Frequent - cfg.Frequent/4
	order := make([]int32, 0, cfg.OneOff+early*cfg.PerPath)
	for range cfg.OneOff {
		order = append(order, -1)
	}
	for p := range early {
		for range cfg.PerPath {
			order = append(order, int32(p))
		}
	}
	rnd.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	second := slices.Clone(order[len(order)/2:])
	for p := early; p < cfg.Frequent; p++ {
		for range cfg.PerPath {
			second = append(second, int32(p))
		}
	}
	rnd.Shuffle(len(second), func(i, j int) { second[i], second[j] = second[j], second[i] })
	order = append(order[:len(order)/2], second...)

	res := &FloodResult{frequent: map[[2]string]int64{}}
	bw := bufio.NewWriterSize(w, 64<<10)
	var line, path []byte
	oneOff := uint32(0)
	for i, p := range order {
		t := cfg.Start.Add(time.Duration(int64(cfg.Span) * int64(i) / int64(max(1, len(order)-1))))
		path = path[:0]
		if p < 0 {
			// A multiplication by an odd number is a bijection on uint32:
			// every one-off path differs, in no telling order.
			oneOff++
			path = append(path, "/flood/"...)
			path = strconv.AppendUint(path, uint64(oneOff*2654435761), 16)
		} else {
			path = append(path, "/page/"...)
			path = strconv.AppendInt(path, int64(p), 10)
			res.frequent[[2]string{t.Format("2006-01-02"), string(path)}]++
		}
		line = append(line[:0], "https "...)
		line = t.AppendFormat(line, "2006-01-02T15:04:05.000000Z")
		line = append(line, " app/pmdp/50dc6c495c0c9188 198.51.100."...)
		line = strconv.AppendInt(line, int64(1+rnd.IntN(254)), 10)
		line = append(line, ':')
		line = strconv.AppendInt(line, int64(1024+rnd.IntN(60000)), 10)
		line = append(line, ` - -1 -1 -1 204 - 180 120 "GET https://collector.example.com:443`...)
		line = append(line, path...)
		line = append(line, ` HTTP/1.1" "`...)
		if p < 0 {
			line = append(line, "Mozilla/5.0 (compatible; scanner/1.0)"...)
		} else {
			line = append(line, agents[0]...)
		}
		line = append(line, "\" TLS_AES_128_GCM_SHA256 TLSv1.3\n"...)
		if _, err := bw.Write(line); err != nil {
			return nil, err
		}
		res.Lines++
	}
	return res, bw.Flush()
}
