package local_test

// The fault test's third stage: the backfill state machine's Distributed
// Map hands the function a batch of listed log files, and S3 fails some
// of their requests. The test invokes the emulator itself, as the map
// would, and only while the bridge is idle: the emulator takes one
// invocation at a time.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/bridge"
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/faultproxy"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/rollup"
)

// backfillBatch is one batch of four files delivered on 2020-02-29, with
// lines from the 28th's last minutes and the 29th's first. Each item's
// summaries are written in the batch; the 28th lies outside the range, so
// each item also rolls it up at once (the first creates the rollup, the
// others replace it); the 29th is the range's, rolled up by the sweep the
// state machine sends after the last batch. The faults:
//
//   - the first item's first summary PUT gets 503 SlowDown: the SDK's
//     retry writes it;
//   - the second item's GET is cut halfway: the batch fails, naming it,
//     after doing the other items; the batch's retry (Step Functions')
//     summarizes it and replaces the 28th's rollup;
//   - the third item's first summary PUT loses its answer: the SDK writes
//     it again (same bytes); then the first replace of the 28th's rollup
//     loses its answer too: the SDK's retry gets 412, and the builder
//     finds the rollup current;
//   - the fourth item's second summary PUT gets 500 once: the SDK's retry
//     writes it.
type backfillBatch struct {
	stage    *faultStage
	input    contract.BackfillBatchInput
	logs     []faultLog
	dates    []string
	cut      string // the key whose GET is cut
	attempts int    // invocations of the batch
}

func planBackfill(t *testing.T, p *local.Pipeline, st *faultStage) *backfillBatch {
	t.Helper()
	const folder = "direct/backfill/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2020/02/29/"
	start := time.Date(2020, 2, 28, 23, 57, 0, 0, time.UTC)
	b := &backfillBatch{stage: st, dates: []string{"2020-02-28", "2020-02-29"},
		input: contract.BackfillBatchInput{Op: contract.BackfillOp, Bucket: p.Bucket, From: "2020-02-29", To: "2020-02-29"}}
	for i, name := range []string{"bf-slowdown", "bf-cut", "bf-lost", "bf-error"} {
		g := generateLog(t, folder, name, loggen.Config{Seed: uint64(300 + i), Lines: 300, Start: start, Span: 6 * time.Minute})
		if len(g.summaryKeys) != 2 || summaryDate(g.summaryKeys[0]) != b.dates[0] || summaryDate(g.summaryKeys[1]) != b.dates[1] {
			t.Fatalf("%s: summaries %v, want one for each of %v", name, g.summaryKeys, b.dates)
		}
		b.logs = append(b.logs, g)
	}
	b.cut = b.logs[1].key
	st.proxy.Rules = []faultproxy.Rule{
		{Method: "PUT", Key: b.logs[0].summaryKeys[0], Nth: []int{1}, Fault: faultproxy.SlowDown},
		{Method: "GET", Key: b.cut, Nth: []int{1}, Fault: faultproxy.CutBody},
		{Method: "PUT", Key: b.logs[2].summaryKeys[0], Nth: []int{1}, Fault: faultproxy.LoseAnswer},
		// Request 1 is the first item's create; the second item fails
		// before it rolls up.
		{Method: "PUT", Key: rollup.Key("rollups/", b.dates[0]), Nth: []int{2}, Fault: faultproxy.LoseAnswer},
		{Method: "PUT", Key: b.logs[3].summaryKeys[1], Nth: []int{1}, Fault: faultproxy.InternalError},
	}
	return b
}

// run lists the files (puts them outside the notification filter),
// invokes the batch until it succeeds, at most twice, then sweeps the
// range as the state machine does after its last batch.
func (b *backfillBatch) run(t *testing.T, p *local.Pipeline, output *localtest.Output) {
	ctx := context.Background()
	logged := len(output.String())
	for _, g := range b.logs {
		put(t, p, g.key, g.gz)
	}
	invocations := p.Bridge.Stats().Invocations
	emulator := bridge.Emulator{URL: p.EmulatorURL}
	batch := contract.BackfillBatch{BatchInput: b.input}
	for _, g := range b.logs {
		batch.Items = append(batch.Items, contract.BackfillItem{Key: g.key})
	}
	payload, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}

	b.attempts++
	_, err = emulator.Call(ctx, payload)
	if err == nil || !strings.Contains(err.Error(), "1 of 4 objects failed") || !strings.Contains(err.Error(), p.Bucket+"/"+b.cut) {
		t.Errorf("the batch's first attempt: %v; want it to fail naming %s/%s alone", err, p.Bucket, b.cut)
	}
	b.attempts++
	res, err := emulator.Call(ctx, payload)
	if err != nil {
		t.Fatalf("the batch's retry: %v", err)
	}
	if want := `{"items":4,"summarized":4,"skipped":0,"uncovered":0}`; string(res) != want {
		t.Errorf("the batch's retry answered %s, want %s", res, want)
	}

	// The lost replace of the 28th's rollup was refused once (412) when
	// the SDK sent it again, and its builder found the rollup current.
	var conflicted []rollupLog
	for _, l := range rolledUp(output.String()[logged:], rollup.Key("rollups/", b.dates[0])) {
		if l.Conflicts > 0 {
			conflicted = append(conflicted, l)
		}
	}
	if len(conflicted) != 1 || conflicted[0].Outcome != string(rollup.Unchanged) || conflicted[0].Conflicts != 1 {
		t.Errorf("the batch's builds of %s that met a conflict: %+v, want one, unchanged after 1 conflict", b.dates[0], conflicted)
	}

	sweep, err := json.Marshal(contract.SweepEvent{Op: contract.SweepOp, Dates: []string{b.input.From}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emulator.Call(ctx, sweep); err != nil {
		t.Fatalf("the range's sweep: %v", err)
	}
	if n := p.Bridge.Stats().Invocations; n != invocations {
		t.Errorf("the bridge invoked the function %d times during the backfill; its files must stay outside the filter", n-invocations)
	}
}
