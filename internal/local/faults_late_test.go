package local_test

// The fault test's second stage: a log file delivered after its dates
// were rolled up, so that the next sweep replaces both rollups with
// If-Match writes, and those writes meet faults.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/bridge"
	"github.com/pmdp/pmdp/internal/cli"
	"github.com/pmdp/pmdp/internal/faultproxy"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/rollup"
)

// lateDelivery is the late file, the racing writer and their faults. The
// sweep's replace of the first date's rollup loses its answer: the SDK's
// retry of the same If-Match write gets 412, and the builder, reading
// again, must find the rollup current. Just before its replace of the
// second date's rollup reaches S3, another writer (`pmdp process` of yet
// another file of that date, run by hand) replaces it with a rollup that
// also holds that file: the function's write gets 412, and its builder,
// reading again, must find that rollup current and keep it, although it
// merged one input fewer.
type lateDelivery struct {
	stage   *faultStage
	dates   []string
	belated faultLog // delivered through the bridge; both dates
	racer   faultLog // outside the notification filter; the second date only
	logs    []faultLog

	mu      sync.Mutex
	raced   bool
	raceErr error
}

// planLate plans the late file in folder, from start over the same
// minutes as the first stage's files, whose dates are dates.
func planLate(t *testing.T, p *local.Pipeline, st *faultStage, folder string, start time.Time, dates []string) *lateDelivery {
	t.Helper()
	l := &lateDelivery{stage: st, dates: dates,
		belated: generateLog(t, folder, "belated", loggen.Config{Seed: 200, Lines: 300, Start: start, Span: 6 * time.Minute}),
	}
	second, err := time.Parse(time.DateOnly, dates[1])
	if err != nil {
		t.Fatal(err)
	}
	racerFolder := "direct/late/AWSLogs/123456789012/elasticloadbalancing/us-east-1/" + second.Format("2006/01/02") + "/"
	l.racer = generateLog(t, racerFolder, "racer", loggen.Config{Seed: 201, Lines: 300, Start: second.Add(time.Minute), Span: 3 * time.Minute})
	if len(l.belated.summaryKeys) != 2 || len(l.racer.summaryKeys) != 1 || summaryDate(l.racer.summaryKeys[0]) != dates[1] {
		t.Fatalf("late files' summaries %v and %v: want both dates, and %s only", l.belated.summaryKeys, l.racer.summaryKeys, dates[1])
	}
	l.logs = []faultLog{l.belated, l.racer}

	st.proxy.Rules = []faultproxy.Rule{
		{Method: "PUT", Key: rollup.Key("rollups/", dates[0]), Nth: []int{1}, Fault: faultproxy.LoseAnswer},
	}
	racePath := "/" + p.Bucket + "/" + rollup.Key("rollups/", dates[1])
	st.before = func(r *http.Request) {
		// The stage's first write of the rollup, conditional or not: the
		// outcome tells whether it was.
		if r.Method != http.MethodPut || r.URL.Path != racePath {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.raced {
			return
		}
		l.raced = true
		var stdout, stderr bytes.Buffer
		if code := cli.Main([]string{"process", "--group-by", e2eGroupBy, "s3://" + p.Bucket + "/" + l.racer.key}, nil, &stdout, &stderr); code != 0 {
			l.raceErr = fmt.Errorf("the racing pmdp process: exit %d\n%s%s", code, &stdout, &stderr)
		}
	}
	return l
}

// races is how many writes raced the function's: 1 once the racing
// writer has written.
func (l *lateDelivery) races() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.raced && l.raceErr == nil {
		return 1
	}
	return 0
}

// run delivers the late file and sweeps. The test's environment must
// point the command line at S3 by then.
func (l *lateDelivery) run(t *testing.T, p *local.Pipeline, inv *faultInvoker, output *localtest.Output) {
	put(t, p, l.racer.key, l.racer.gz) // no event: outside the filter
	before := p.Bridge.Stats()
	put(t, p, l.belated.key, l.belated.gz)
	waitFor(t, p.Bridge, func(st bridge.Stats) bool {
		return st.Delivered+st.Failed > before.Delivered+before.Failed && st.Pending == 0
	}, "the late file's event")
	logged := len(output.String())
	inv.sweepNow(t, p, "sweep after the late file")

	l.mu.Lock()
	raced, raceErr := l.raced, l.raceErr
	l.mu.Unlock()
	if raceErr != nil {
		t.Error(raceErr)
	}
	if !raced {
		t.Errorf("the sweep wrote no replace of %s's rollup for the racing writer to overtake", l.dates[1])
	}
	// Each replace was refused once (412) and found the rollup current
	// when it read again; a builder that took the refusal for a failure
	// would fail the sweep, and one that wrote again would drop the
	// racer's file.
	for _, d := range l.dates {
		builds := rolledUp(output.String()[logged:], rollup.Key("rollups/", d))
		if len(builds) != 1 || builds[0].Outcome != string(rollup.Unchanged) || builds[0].Conflicts != 1 {
			t.Errorf("the late sweep's builds of %s: %+v, want one, unchanged after 1 conflict", d, builds)
		}
	}
}

// rollupLog is the function's log line for one rollup built.
type rollupLog struct {
	Msg       string `json:"msg"`
	Key       string `json:"key"`
	Why       string `json:"why"`
	Outcome   string `json:"outcome"`
	Attempts  int    `json:"attempts"`
	Conflicts int    `json:"conflicts"`
}

// rolledUp returns the function's log lines in output for builds of the
// rollup at key.
func rolledUp(output, key string) []rollupLog {
	var out []rollupLog
	for _, line := range strings.Split(output, "\n") {
		i := strings.IndexByte(line, '{')
		if i < 0 {
			continue
		}
		var l rollupLog
		if json.Unmarshal([]byte(line[i:]), &l) == nil && l.Msg == "rolled up" && l.Key == key {
			out = append(out, l)
		}
	}
	return out
}
