package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/pmdp/pmdp/internal/contract"
)

const (
	stateMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:PmdpBackfill"
	executionARN    = "arn:aws:states:us-east-1:123456789012:execution:PmdpBackfill:backfill-2025-01-01-to-2025-12-31-20261126T120000Z"
	mapRunARN       = "arn:aws:states:us-east-1:123456789012:mapRun:PmdpBackfill/Process:3f1c2b6e-7d1a-4c36-9a7e-2f0c1b9d8e41"
)

// fakeClock starts at 2026-11-26T12:00:00Z and moves only when slept on.
// interruptAt, when set, cancels the command's context at that sleep.
type fakeClock struct {
	mu          sync.Mutex
	t           time.Time
	sleeps      int
	interruptAt int
	interrupt   context.CancelFunc
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps++
	if c.sleeps == c.interruptAt {
		c.interrupt()
	}
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// poll is what the fake Step Functions answers to one round of polling.
type poll struct {
	status      types.ExecutionStatus
	items       *types.MapRunItemCounts // nil: no map run yet
	err         error                   // DescribeExecution fails
	errorName   string                  // of a failed execution
	cause       string
	redriveDate time.Time
	redrives    int32  // the execution's RedriveCount
	output      string // of an execution that succeeded
}

// fakeSFN plays polls in order, one per DescribeExecution, and stays on
// the last. It records the calls made.
type fakeSFN struct {
	mu       sync.Mutex
	polls    []poll
	i        int // the poll being answered
	started  *sfn.StartExecutionInput
	redriven bool
	calls    []string
}

func (f *fakeSFN) call(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

// current is the poll being answered: the one of the last
// DescribeExecution; ok is false before the first.
func (f *fakeSFN) current() (p poll, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.i == 0 {
		return poll{}, false
	}
	return f.polls[min(f.i, len(f.polls))-1], true
}

func (f *fakeSFN) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.call("StartExecution")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = in
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(executionARN)}, nil
}

func (f *fakeSFN) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.call("DescribeExecution")
	f.mu.Lock()
	f.i++
	f.mu.Unlock()
	p, _ := f.current()
	if aws.ToString(in.ExecutionArn) != executionARN {
		return nil, fmt.Errorf("no execution %s", aws.ToString(in.ExecutionArn))
	}
	if p.err != nil {
		return nil, p.err
	}
	input, _ := json.Marshal(contract.BackfillInput{From: "2025-01-01", To: "2025-12-31"})
	out := &sfn.DescribeExecutionOutput{
		ExecutionArn: aws.String(executionARN), Status: p.status, Input: aws.String(string(input)),
		StartDate:    aws.Time(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)),
		RedriveCount: aws.Int32(p.redrives),
	}
	if p.errorName != "" {
		out.Error, out.Cause = aws.String(p.errorName), aws.String(p.cause)
	}
	if p.output != "" {
		out.Output = aws.String(p.output)
	}
	if !p.redriveDate.IsZero() {
		out.RedriveDate = aws.Time(p.redriveDate)
	}
	return out, nil
}

func (f *fakeSFN) ListMapRuns(_ context.Context, in *sfn.ListMapRunsInput, _ ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error) {
	f.call("ListMapRuns")
	if p, _ := f.current(); p.items == nil {
		return &sfn.ListMapRunsOutput{}, nil
	}
	return &sfn.ListMapRunsOutput{MapRuns: []types.MapRunListItem{{
		MapRunArn: aws.String(mapRunARN), ExecutionArn: in.ExecutionArn, StartDate: aws.Time(time.Date(2026, 11, 26, 12, 0, 5, 0, time.UTC)),
	}}}, nil
}

func (f *fakeSFN) DescribeMapRun(_ context.Context, in *sfn.DescribeMapRunInput, _ ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error) {
	f.call("DescribeMapRun")
	if aws.ToString(in.MapRunArn) != mapRunARN {
		return nil, fmt.Errorf("no map run %s", aws.ToString(in.MapRunArn))
	}
	p, _ := f.current()
	items := p.items
	return &sfn.DescribeMapRunOutput{MapRunArn: in.MapRunArn, ItemCounts: items}, nil
}

func (f *fakeSFN) RedriveExecution(_ context.Context, in *sfn.RedriveExecutionInput, _ ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error) {
	f.call("RedriveExecution")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redriven = true
	return &sfn.RedriveExecutionOutput{}, nil
}

// items is a map run's item counts, the total their sum.
func items(pending, running, succeeded, failed, timedOut, aborted int64) *types.MapRunItemCounts {
	return &types.MapRunItemCounts{Pending: pending, Running: running, Succeeded: succeeded, Failed: failed, TimedOut: timedOut, Aborted: aborted,
		Total: pending + running + succeeded + failed + timedOut + aborted}
}

// runBackfill runs pmdp backfill args against fake and a fake clock.
func runBackfill(t *testing.T, fake *fakeSFN, clk *fakeClock, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk.interrupt = cancel
	var out, errOut bytes.Buffer
	e := &env{ctx: ctx, stdout: &out, stderr: &errOut, clock: clk,
		sfnClient: func(_ context.Context, region string) (stepFunctions, error) {
			if region != "us-east-1" {
				t.Errorf("client for region %q, want the ARN's, us-east-1", region)
			}
			return fake, nil
		}}
	code = e.main(append([]string{"backfill"}, args...))
	return code, out.String(), errOut.String()
}

// A run that succeeds, polled every 10 s: what a log file or CI shows.
// While the total grows from poll to poll, the map run is still listing:
// no share done and no time left are shown against a partial total.
func TestBackfillStartsAndShowsProgress(t *testing.T) {
	fake := &fakeSFN{polls: []poll{
		{status: types.ExecutionStatusRunning},
		{status: types.ExecutionStatusRunning, items: items(0, 0, 0, 0, 0, 0)},
		{status: types.ExecutionStatusRunning, items: items(7000, 1000, 2000, 0, 0, 0)},  // listing
		{status: types.ExecutionStatusRunning, items: items(9000, 1000, 10000, 0, 0, 0)}, // still listing
		// The total stays: all listed.
		{status: types.ExecutionStatusRunning, items: items(0, 1000, 19000, 0, 0, 0)},
		{status: types.ExecutionStatusRunning, items: items(0, 0, 20000, 0, 0, 0)}, // rollups
		{status: types.ExecutionStatusSucceeded, items: items(0, 0, 20000, 0, 0, 0)},
	}}
	clk := newFakeClock()
	code, stdout, stderr := runBackfill(t, fake, clk, "--state-machine", stateMachineARN, "--from", "2025-01-01", "--to", "2025-12-31", "--poll", "10s")
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	if stdout != executionARN+"\n" {
		t.Errorf("stdout %q, want the execution's ARN", stdout)
	}
	want := `pmdp backfill: started backfill-2025-01-01-to-2025-12-31-20261126T120000Z: the logs delivered from 2025-01-01 to 2025-12-31 (365 dates)
pmdp backfill: 0/0+ listed keys (listing), 0 in failed batches, 0.0 listed keys/s, 10s elapsed
pmdp backfill: 2000/10000+ listed keys (listing), 0 in failed batches, 100 listed keys/s, 20s elapsed
pmdp backfill: 10000/20000+ listed keys (listing), 0 in failed batches, 333 listed keys/s, 30s elapsed
pmdp backfill: 19000/20000 listed keys (95%), 0 in failed batches, 475 listed keys/s, about 2s left, 40s elapsed
pmdp backfill: 20000/20000 listed keys (100%), 0 in failed batches, 400 listed keys/s, 50s elapsed
pmdp backfill: 20000/20000 listed keys (100%), 0 in failed batches, 333 listed keys/s, 1m00s elapsed
pmdp backfill: 20000 listed keys done, 0 in failed batches, in 1m00s (333 listed keys/s)
pmdp backfill: execution SUCCEEDED
  https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/` + executionARN + "\n"
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
	wantInput, _ := contract.NewBackfillInput("2025-01-01", "2025-12-31")
	var gotInput contract.BackfillInput
	if fake.started == nil {
		t.Fatal("no execution started")
	}
	if err := json.Unmarshal([]byte(aws.ToString(fake.started.Input)), &gotInput); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(fake.started.StateMachineArn) != stateMachineARN || gotInput.Validate() != nil ||
		gotInput.From != wantInput.From || gotInput.To != wantInput.To || gotInput.DatePrefix != "2025/" || len(gotInput.Dates) != 365 {
		t.Errorf("started %s with %s", aws.ToString(fake.started.StateMachineArn), aws.ToString(fake.started.Input))
	}
}

// The map run lists the folder that the range's dates share, which may
// hold many more: backfill says so before the progress counts them.
func TestBackfillSaysWhatIsListed(t *testing.T) {
	const folder = "the map run lists …/AWSLogs/123456789012/elasticloadbalancing/us-east-1/"
	tests := []struct {
		name     string
		from, to string
		want     string // "": no note
	}{
		{"one day", "2025-03-07", "2025-03-07", ""},
		{"a whole month", "2025-02-01", "2025-02-28", ""},
		{"a whole year", "2024-01-01", "2024-12-31", ""},
		{"part of a month", "2025-03-07", "2025-03-09", folder + "2025/03/, every log of 2025-03: the keys outside 2025-03-07 to 2025-03-09 are skipped in milliseconds, but they count as listed keys done in the progress, its rate and its time left"},
		{"a month and a day", "2025-02-01", "2025-03-01", folder + "2025/, every log of 2025: the keys outside 2025-02-01 to 2025-03-01 are skipped in milliseconds, but they count as listed keys done in the progress, its rate and its time left; ranges within one month list less"},
		{"all but a day of a year", "2025-01-01", "2025-12-30", folder + "2025/, every log of 2025:"},
		{"across new year", "2024-12-31", "2025-01-01", folder + ", every log of every year: the keys outside 2024-12-31 to 2025-01-01 are skipped in milliseconds, but they count as listed keys done in the progress, its rate and its time left; with a long history, back fill one year (or month) at a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSFN{polls: []poll{{status: types.ExecutionStatusSucceeded, items: items(0, 0, 5, 0, 0, 0)}}}
			code, _, stderr := runBackfill(t, fake, newFakeClock(), "--state-machine", stateMachineARN, "--from", tt.from, "--to", tt.to)
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			if tt.want == "" {
				if strings.Contains(stderr, "the map run lists") {
					t.Errorf("a note for a range that is its folder:\n%s", stderr)
				}
				return
			}
			if !strings.Contains(stderr, "pmdp backfill: "+tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
		})
	}
}

// succeededOutput is the output of an execution that succeeded: its input
// as Prepare passed it on, and the map's output (ResultPath $.processed).
const succeededOutput = `{"from":"2025-01-01","to":"2025-12-31","prefix":"logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2025/","weeks":[["2025-01-01"]],` +
	`"processed":{"MapRunArn":"` + mapRunARN + `","ResultWriterDetails":{"Bucket":"pmdp-summaries","Key":"backfill/3f1c2b6e-7d1a-4c36-9a7e-2f0c1b9d8e41/manifest.json"}}}`

// How executions end, and what backfill says and returns for each.
func TestBackfillEndings(t *testing.T) {
	tests := []struct {
		name   string
		polls  []poll
		code   int
		stderr []string
		not    []string
	}{
		{
			name: "failures within the tolerated share",
			polls: []poll{
				// Items fail a batch at a time: one of 250 failed, one
				// timed out, and the last, smaller, batch went through.
				{status: types.ExecutionStatusRunning, items: items(0, 250, 9500, 250, 0, 0)},
				{status: types.ExecutionStatusSucceeded, items: items(0, 0, 9510, 250, 250, 0), output: succeededOutput},
			},
			code: 1,
			stderr: []string{"10010 listed keys done, 500 in failed batches", "execution SUCCEEDED",
				"500 listed keys were in batches that failed or were stopped; a batch fails as a whole, so many of them may have been summarized. Step Functions lists those batches in s3://pmdp-summaries/backfill/3f1c2b6e-7d1a-4c36-9a7e-2f0c1b9d8e41/ (FAILED_*.json)",
				"cannot be redriven",
				"aws s3 cp s3://pmdp-summaries/backfill/3f1c2b6e-7d1a-4c36-9a7e-2f0c1b9d8e41/FAILED_0.json . && pmdp process --summary-bucket pmdp-summaries --events FAILED_0.json\n",
				"pmdp backfill --from 2025-01-01 --to 2025-12-31"},
			not: []string{"--redrive", "SUMMARY_BUCKET", "MAP_RUN_ID"},
		},
		{
			name: "failures within the tolerated share, the output unknown",
			polls: []poll{
				{status: types.ExecutionStatusSucceeded, items: items(0, 0, 9750, 250, 0, 0), output: `{"from":"2025-01-01","to":"2025-12-31"}`},
			},
			code: 1,
			stderr: []string{"Step Functions lists those batches in s3://SUMMARY_BUCKET/backfill/3f1c2b6e-7d1a-4c36-9a7e-2f0c1b9d8e41/ (FAILED_*.json)",
				"aws s3 cp s3://SUMMARY_BUCKET/backfill/3f1c2b6e-7d1a-4c36-9a7e-2f0c1b9d8e41/FAILED_0.json . && pmdp process --summary-bucket SUMMARY_BUCKET --events FAILED_0.json\n",
				"(SUMMARY_BUCKET: the stack's summary bucket)\n"},
			not: []string{"MAP_RUN_ID"},
		},
		{
			name: "too many failures",
			polls: []poll{
				{status: types.ExecutionStatusRunning, items: items(100, 10, 10, 80, 0, 0)},
				{status: types.ExecutionStatusFailed, items: items(0, 0, 10, 80, 0, 110), errorName: "States.ExceedToleratedFailureThreshold", cause: "The specified tolerated failure threshold was exceeded"},
			},
			code: 1,
			stderr: []string{"200 listed keys done, 190 in failed batches", "execution FAILED: States.ExceedToleratedFailureThreshold: The specified tolerated failure threshold was exceeded",
				"190 listed keys were in batches that failed or were stopped", "pmdp backfill --redrive " + executionARN},
			not: []string{"cannot be redriven"},
		},
		{
			name: "stopped by someone",
			polls: []poll{
				{status: types.ExecutionStatusRunning, items: items(50, 10, 40, 0, 0, 0)},
				{status: types.ExecutionStatusAborted, items: items(0, 0, 40, 0, 0, 60)},
			},
			code:   1,
			stderr: []string{"100 listed keys done, 60 in failed batches", "execution ABORTED", "pmdp backfill --redrive " + executionARN},
		},
		{
			name: "failed before its map run started",
			polls: []poll{
				{status: types.ExecutionStatusFailed, errorName: "States.ItemReaderFailed", cause: "Access denied"},
			},
			code:   1,
			stderr: []string{"0 listed keys done, 0 in failed batches", "execution FAILED: States.ItemReaderFailed: Access denied", "pmdp backfill --redrive " + executionARN},
			not:    []string{"were in batches that failed"},
		},
		{
			name: "polls that fail now and then",
			polls: []poll{
				{status: types.ExecutionStatusRunning, items: items(100, 0, 0, 0, 0, 0)},
				{err: errors.New("operation error SFN: DescribeExecution, exceeded maximum number of attempts, 3, ThrottlingException: Rate exceeded")},
				{status: types.ExecutionStatusRunning, items: items(50, 0, 50, 0, 0, 0)},
				{status: types.ExecutionStatusSucceeded, items: items(0, 0, 100, 0, 0, 0)},
			},
			code:   0,
			stderr: []string{"ThrottlingException: Rate exceeded", "100 listed keys done, 0 in failed batches", "execution SUCCEEDED"},
			not:    []string{"stopped watching"},
		},
		{
			name: "polls that keep failing",
			polls: []poll{
				{status: types.ExecutionStatusRunning, items: items(100, 0, 0, 0, 0, 0)},
				{err: errors.New("operation error SFN: DescribeExecution, exceeded maximum number of attempts, 3, ThrottlingException: Rate exceeded")},
			},
			code:   1,
			stderr: []string{"stopped watching after 5 failed attempts; the execution goes on", "pmdp backfill --watch " + executionARN},
			not:    []string{"execution SUCCEEDED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSFN{polls: tt.polls}
			code, _, stderr := runBackfill(t, fake, newFakeClock(), "--watch", executionARN)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(stderr, w) {
					t.Errorf("stderr has %q:\n%s", w, stderr)
				}
			}
			for _, c := range fake.calls {
				if c == "StartExecution" || c == "RedriveExecution" {
					t.Errorf("--watch called %s", c)
				}
			}
		})
	}
}

// Ctrl-C stops watching and says how to come back; the execution goes on
// (the client cannot even stop it).
func TestBackfillInterrupted(t *testing.T) {
	fake := &fakeSFN{polls: []poll{{status: types.ExecutionStatusRunning, items: items(100, 10, 20, 0, 0, 0)}}}
	clk := newFakeClock()
	clk.interruptAt = 3
	code, _, stderr := runBackfill(t, fake, clk, "--state-machine", stateMachineARN, "--from", "2025-01-01", "--to", "2025-12-31")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, w := range []string{"20 of 130 listed keys done", "stopped watching; the execution goes on", "pmdp backfill --watch " + executionARN} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if n := strings.Count(strings.Join(fake.calls, " "), "DescribeExecution"); n != 3 {
		t.Errorf("%d polls, want 3: none after the interruption", n)
	}
}

// --redrive reruns the failed logs and counts only them. The first
// descriptions after the redrive may still show the execution as it
// ended before (DescribeExecution is eventually consistent): they are
// waited out, not taken for its end.
func TestBackfillRedrive(t *testing.T) {
	redriven := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	failed := poll{status: types.ExecutionStatusFailed, items: items(0, 0, 190, 10, 0, 0), redrives: 1,
		errorName: "States.ExceedToleratedFailureThreshold", cause: "The specified tolerated failure threshold was exceeded"}
	tests := []struct {
		name  string
		polls []poll // the first is the description before the redrive
		code  int
		calls int // DescribeExecution
	}{
		{"described at once", []poll{
			failed,
			{status: types.ExecutionStatusPendingRedrive, items: items(10, 0, 190, 0, 0, 0), redriveDate: redriven, redrives: 2},
			{status: types.ExecutionStatusRunning, items: items(0, 4, 196, 0, 0, 0), redriveDate: redriven, redrives: 2},
			{status: types.ExecutionStatusSucceeded, items: items(0, 0, 200, 0, 0, 0), redriveDate: redriven, redrives: 2},
		}, 0, 4},
		{"described late", []poll{
			failed,
			failed,
			failed,
			{status: types.ExecutionStatusRunning, items: items(0, 4, 196, 0, 0, 0), redriveDate: redriven, redrives: 2},
			{status: types.ExecutionStatusSucceeded, items: items(0, 0, 200, 0, 0, 0), redriveDate: redriven, redrives: 2},
		}, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSFN{polls: tt.polls}
			clk := newFakeClock()
			clk.t = redriven
			code, _, stderr := runBackfill(t, fake, clk, "--redrive", executionARN)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if !fake.redriven {
				t.Error("not redriven")
			}
			for _, w := range []string{"redriving " + executionARN, "pmdp backfill (redrive): 10 listed keys done, 0 in failed batches, in ", "execution SUCCEEDED"} {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range []string{"FAILED", "--redrive"} {
				if strings.Contains(stderr, w) {
					t.Errorf("stderr has %q: a description from before the redrive was taken for its end:\n%s", w, stderr)
				}
			}
			if n := strings.Count(strings.Join(fake.calls, " "), "DescribeExecution"); n != tt.calls {
				t.Errorf("%d DescribeExecution calls, want %d", n, tt.calls)
			}
		})
	}
}

// A redrive that Step Functions never describes is waited for a while,
// then given up on, saying so.
func TestBackfillRedriveNeverDescribed(t *testing.T) {
	failed := poll{status: types.ExecutionStatusFailed, items: items(0, 0, 190, 10, 0, 0), redrives: 0}
	fake := &fakeSFN{polls: []poll{failed}}
	clk := newFakeClock()
	code, _, stderr := runBackfill(t, fake, clk, "--redrive", executionARN)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, w := range []string{"after 2m0s, Step Functions still describes " + executionARN + " as it was before the redrive (FAILED, redriven 0 times)",
		"pmdp backfill --watch " + executionARN} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "execution FAILED") {
		t.Errorf("stderr reports the old ending as the redrive's:\n%s", stderr)
	}
	if waited := clk.Now().Sub(newFakeClock().Now()); waited != maxRedriveLag {
		t.Errorf("waited %v, want %v", waited, maxRedriveLag)
	}
}

func TestBackfillUsage(t *testing.T) {
	t.Setenv(EnvBackfillStateMachine, "")
	tests := []struct {
		name   string
		args   []string
		env    string // PMDP_BACKFILL_STATE_MACHINE
		stderr []string
	}{
		{"nothing", nil, "", []string{"give --from (and --to) to start a backfill, or --watch or --redrive"}},
		{"two modes", []string{"--from", "2025-01-01", "--watch", executionARN}, stateMachineARN, []string{"give --from (and --to) to start"}},
		{"no state machine", []string{"--from", "2025-01-01"}, "", []string{"--state-machine: the backfill state machine's ARN is required", EnvBackfillStateMachine}},
		{"not a state machine", []string{"--state-machine", executionARN, "--from", "2025-01-01"}, "", []string{`--state-machine "` + executionARN + `": want the ARN of a Step Functions stateMachine`}},
		{"not an execution", []string{"--watch", "backfill-2025"}, "", []string{`--watch "backfill-2025": want the ARN of a Step Functions execution`}},
		{"redrive a state machine", []string{"--redrive", stateMachineARN}, "", []string{"--redrive", "want the ARN of a Step Functions execution"}},
		{"only --to", []string{"--to", "2025-01-31"}, stateMachineARN, []string{"--from: the first date to reprocess is required"}},
		{"bad dates", []string{"--from", "2025-13-01", "--to", "2025/12/31"}, stateMachineARN, []string{`--from "2025-13-01": want a date, YYYY-MM-DD`, `--to "2025/12/31": want a date, YYYY-MM-DD`}},
		{"reversed", []string{"--from", "2025-12-31", "--to", "2025-01-01"}, stateMachineARN, []string{"--from 2025-12-31 --to 2025-01-01: backfill range 2025-12-31 to 2025-01-01 ends before it starts"}},
		{"from tomorrow", []string{"--from", "2026-11-27"}, stateMachineARN, []string{"--from 2026-11-27 --to 2026-11-25: ", "ends before it starts"}},
		{"too long", []string{"--from", "2000-01-01", "--to", "2025-12-31"}, stateMachineARN, []string{"at most 3660 fit in one execution"}},
		{"fast polls", []string{"--watch", executionARN, "--poll", "100ms"}, "", []string{"--poll 100ms: at least 1s"}},
		{"other region", []string{"--watch", executionARN, "--region", "eu-west-1"}, "", []string{"--region eu-west-1: the ARN is in us-east-1"}},
		{"arguments", []string{"--watch", executionARN, "2025-01-01"}, "", []string{`unexpected argument "2025-01-01"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvBackfillStateMachine, tt.env)
			var stdout, stderr bytes.Buffer
			e := &env{ctx: context.Background(), stdout: &stdout, stderr: &stderr, clock: newFakeClock(),
				sfnClient: func(context.Context, string) (stepFunctions, error) {
					t.Error("Step Functions called on a usage error")
					return nil, errors.New("no")
				}}
			if code := e.main(append([]string{"backfill"}, tt.args...)); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, &stderr)
				}
			}
		})
	}
}

// The state machine's ARN may come from the environment, and --to
// defaults to yesterday.
func TestBackfillDefaults(t *testing.T) {
	t.Setenv(EnvBackfillStateMachine, stateMachineARN)
	fake := &fakeSFN{polls: []poll{{status: types.ExecutionStatusSucceeded, items: items(0, 0, 5, 0, 0, 0)}}}
	code, _, stderr := runBackfill(t, fake, newFakeClock(), "--from", "2026-11-01")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if got := aws.ToString(fake.started.Name); got != "backfill-2026-11-01-to-2026-11-25-20261126T120000Z" {
		t.Errorf("execution name %q", got)
	}
}

// The real client against a server that throttles the first call: the
// SDK retries it, and backfill never sees the error.
func TestBackfillThrottledCallsAreRetried(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, op)
		n := len(calls)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if n == 1 {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"com.amazonaws.swf.service.v2.model#ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		switch op {
		case "DescribeExecution":
			if !strings.Contains(string(body), executionARN) {
				t.Errorf("DescribeExecution %s", body)
			}
			fmt.Fprintf(w, `{"executionArn":%q,"stateMachineArn":%q,"status":"SUCCEEDED","startDate":1795694400,"stopDate":1795694460}`, executionARN, stateMachineARN)
		case "ListMapRuns":
			fmt.Fprintf(w, `{"mapRuns":[{"executionArn":%q,"mapRunArn":%q,"stateMachineArn":%q,"startDate":1795694405}]}`, executionARN, mapRunARN, stateMachineARN)
		case "DescribeMapRun":
			fmt.Fprintf(w, `{"executionArn":%q,"mapRunArn":%q,"status":"SUCCEEDED","startDate":1795694405,"maxConcurrency":200,"toleratedFailurePercentage":5,"toleratedFailureCount":0,
				"itemCounts":{"pending":0,"running":0,"succeeded":120,"failed":0,"timedOut":0,"aborted":0,"total":120,"resultsWritten":120},
				"executionCounts":{"pending":0,"running":0,"succeeded":2,"failed":0,"timedOut":0,"aborted":0,"total":2,"resultsWritten":2}}`, executionARN, mapRunARN)
		default:
			t.Errorf("unexpected call %s", op)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer server.Close()
	t.Setenv("AWS_ENDPOINT_URL_SFN", server.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	var stdout, stderr bytes.Buffer
	e := &env{ctx: context.Background(), stdout: &stdout, stderr: &stderr, clock: newFakeClock()}
	if code := e.main([]string{"backfill", "--watch", executionARN}); code != 0 {
		t.Errorf("exit %d, want 0; stderr:\n%s", code, &stderr)
	}
	if !strings.Contains(stderr.String(), "120 listed keys done, 0 in failed batches") || strings.Contains(stderr.String(), "Rate exceeded") {
		t.Errorf("stderr:\n%s\nwant 120 listed keys done and no throttling error", &stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "DescribeExecution DescribeExecution ListMapRuns DescribeMapRun"; strings.Join(calls, " ") != want {
		t.Errorf("calls %q, want %q: the throttled call retried", calls, want)
	}
}
