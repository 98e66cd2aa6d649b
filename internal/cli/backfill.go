package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/progress"
)

const backfillHelp = `Usage: pmdp backfill --state-machine ARN --from YYYY-MM-DD [--to YYYY-MM-DD]
       pmdp backfill --watch EXECUTION_ARN
       pmdp backfill --redrive EXECUTION_ARN

Reprocesses the access logs delivered from --from to --to (UTC dates of
the logs' yyyy/mm/dd/ folders, inclusive) on AWS: it starts an execution
of the stack's backfill state machine, whose Distributed Map runs the
function on every log of those dates, many at once, and then rebuilds the
rollups of the dates. The summaries are the same as the function writes on
delivery; reprocessing rewrites the same objects, never counting twice.

The map lists the smallest folder that holds every date of the range:
one day's, one month's, one year's, or, for a range across new year, the
whole of the load balancer's folder. Its keys outside the range are
skipped in milliseconds, but counted all the same: the progress counts
listed keys, not logs of the range. backfill says so when it starts;
with a long history, run one year (or month) at a time.

It shows the execution's progress until it ends (listed keys done of those
listed so far, failures, rate, time left), then a summary. It exits 1 if
any batch failed or the execution did not succeed, and says how to retry:
an execution that failed is redriven with --redrive, which reruns only
what failed; the failed batches are also listed in the summary bucket
under backfill/, in the map run's folder (FAILED_*.json), which
'pmdp process --events' reads: an execution that succeeded despite
failures cannot be redriven, and backfill prints the command.

The stack's output BackfillStateMachineArn names the state machine (the
stack must be deployed with -c backfill=true). Ctrl-C stops watching, not
the execution; --watch EXECUTION_ARN comes back to it. AWS credentials
come from the environment as for any AWS SDK program; the region is the
ARN's.

For a few days of logs, 'pmdp process --parallel N s3://BUCKET/PREFIX/'
does the same work on this machine.

Examples:
  pmdp backfill --state-machine arn:aws:states:us-east-1:123456789012:stateMachine:PmdpBackfill --from 2025-11-01
  pmdp backfill --watch arn:aws:states:us-east-1:123456789012:execution:PmdpBackfill:backfill-2025-11-01-to-2026-11-25-20261126T120000Z

Flags:
`

// EnvBackfillStateMachine is the variable --state-machine defaults to.
const EnvBackfillStateMachine = "PMDP_BACKFILL_STATE_MACHINE"

// stepFunctions is the part of the Step Functions API that backfill uses;
// *sfn.Client has it, and tests replace it.
type stepFunctions interface {
	StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	ListMapRuns(context.Context, *sfn.ListMapRunsInput, ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error)
	DescribeMapRun(context.Context, *sfn.DescribeMapRunInput, ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error)
	RedriveExecution(context.Context, *sfn.RedriveExecutionInput, ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error)
}

// newStepFunctions is a Step Functions client for region, configured from
// the environment as any AWS SDK program is (AWS_ENDPOINT_URL_SFN too).
// The SDK retries throttled and failed calls itself.
func newStepFunctions(ctx context.Context, region string) (stepFunctions, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return sfn.NewFromConfig(cfg), nil
}

// clock is the time as backfill sees it; tests replace it.
type clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done, when it returns ctx's error.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type backfillOpts struct {
	stateMachine string
	from, to     string
	poll         time.Duration
	region       string
	redrive      string
	watch        string
}

func (e *env) backfillFlags(fs *flag.FlagSet) func([]string) int {
	o := &backfillOpts{}
	fs.StringVar(&o.stateMachine, "state-machine", "", "`ARN` of the backfill state machine (the stack's output BackfillStateMachineArn; "+EnvBackfillStateMachine+")")
	fs.StringVar(&o.from, "from", "", "first delivery `date` to reprocess, YYYY-MM-DD (UTC)")
	fs.StringVar(&o.to, "to", "", "last delivery `date` to reprocess, YYYY-MM-DD (default: yesterday, UTC)")
	fs.DurationVar(&o.poll, "poll", 5*time.Second, "ask Step Functions for progress once every `interval` (at least 1s)")
	fs.StringVar(&o.region, "region", "", "AWS `region` (default: the ARN's)")
	fs.StringVar(&o.redrive, "redrive", "", "rerun the failed logs of the execution `EXECUTION_ARN` that failed, and watch it")
	fs.StringVar(&o.watch, "watch", "", "watch the execution `EXECUTION_ARN` (started before) until it ends")
	return func(args []string) int {
		o.stateMachine = cmp.Or(o.stateMachine, os.Getenv(EnvBackfillStateMachine))
		return e.backfill(o, args)
	}
}

// backfillRun is what one 'pmdp backfill' does: start, redrive or watch.
type backfillRun struct {
	arn    string // of the execution; for a start, of the state machine
	region string
	input  contract.BackfillInput // for a start
}

// check validates the command line before any call to AWS.
func (o *backfillOpts) check(args []string, now time.Time) (backfillRun, error) {
	var problems []error
	if len(args) > 0 {
		problems = append(problems, fmt.Errorf("unexpected argument %q: backfill takes only flags", args[0]))
	}
	modes := 0
	for _, set := range []bool{o.from != "" || o.to != "", o.watch != "", o.redrive != ""} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		problems = append(problems, errors.New("give --from (and --to) to start a backfill, or --watch or --redrive with an execution's ARN"))
		return backfillRun{}, errors.Join(problems...)
	}
	if o.poll < time.Second {
		problems = append(problems, fmt.Errorf("--poll %v: at least 1s", o.poll))
	}
	var run backfillRun
	var resource string
	switch {
	case o.watch != "":
		run.arn, resource = o.watch, "execution"
		problems = append(problems, checkARN("--watch", o.watch, "execution"))
	case o.redrive != "":
		run.arn, resource = o.redrive, "execution"
		problems = append(problems, checkARN("--redrive", o.redrive, "execution"))
	default:
		run.arn, resource = o.stateMachine, "stateMachine"
		if o.stateMachine == "" {
			problems = append(problems, fmt.Errorf("--state-machine: the backfill state machine's ARN is required (the stack's output BackfillStateMachineArn, or %s)", EnvBackfillStateMachine))
		} else {
			problems = append(problems, checkARN("--state-machine", o.stateMachine, "stateMachine"))
		}
		input, err := o.dates(now)
		problems = append(problems, err)
		run.input = input
	}
	if a, err := arn.Parse(run.arn); err == nil && strings.HasPrefix(a.Resource, resource+":") {
		run.region = a.Region
		if o.region != "" && o.region != a.Region {
			problems = append(problems, fmt.Errorf("--region %s: the ARN is in %s", o.region, a.Region))
		}
	}
	return run, errors.Join(problems...)
}

// dates is the execution input for --from and --to.
func (o *backfillOpts) dates(now time.Time) (contract.BackfillInput, error) {
	if o.from == "" {
		return contract.BackfillInput{}, errors.New("--from: the first date to reprocess is required, YYYY-MM-DD")
	}
	to := o.to
	if to == "" {
		to = now.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	}
	var problems []error
	for _, f := range []struct{ name, value string }{{"from", o.from}, {"to", to}} {
		if _, err := time.Parse(time.DateOnly, f.value); err != nil {
			problems = append(problems, fmt.Errorf("--%s %q: want a date, YYYY-MM-DD", f.name, f.value))
		}
	}
	if len(problems) > 0 {
		return contract.BackfillInput{}, errors.Join(problems...)
	}
	input, err := contract.NewBackfillInput(o.from, to)
	if err != nil {
		return input, fmt.Errorf("--from %s --to %s: %w", o.from, to, err)
	}
	return input, nil
}

// checkARN checks that s is the ARN of a Step Functions resource of the
// given type, naming flag if not.
func checkARN(flag, s, resource string) error {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "states" || !strings.HasPrefix(a.Resource, resource+":") || a.Region == "" {
		return fmt.Errorf("%s %q: want the ARN of a Step Functions %s, arn:aws:states:REGION:ACCOUNT:%s:…", flag, s, resource, resource)
	}
	return nil
}

func (e *env) backfill(o *backfillOpts, args []string) int {
	clk := e.clockOrReal()
	run, err := o.check(args, clk.Now())
	if err != nil {
		return e.usageError("backfill", err)
	}
	ctx, stop := e.interruptible()
	defer stop()
	newClient := e.sfnClient
	if newClient == nil {
		newClient = newStepFunctions
	}
	client, err := newClient(ctx, run.region)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp backfill: %v\n", err)
		return 1
	}
	w := &backfillWatch{e: e, client: client, clock: clk, poll: o.poll, execution: run.arn}
	switch {
	case o.watch != "":
		return w.watch(ctx, "pmdp backfill")
	case o.redrive != "":
		return w.redrive(ctx)
	}
	return w.start(ctx, run.arn, run.input)
}

// clockOrReal is the clock tests set, or the real one.
func (e *env) clockOrReal() clock {
	if e.clock != nil {
		return e.clock
	}
	return realClock{}
}

// executionName is a readable name, unique per state machine, for a
// backfill of in started at now: backfill-FROM-to-TO-STARTED.
func executionName(in contract.BackfillInput, now time.Time) string {
	return "backfill-" + in.From + "-to-" + in.To + "-" + now.UTC().Format("20060102T150405Z")
}

// backfillWatch follows one execution until it ends.
type backfillWatch struct {
	e         *env
	client    stepFunctions
	clock     clock
	poll      time.Duration
	execution string // ARN
	mapRun    string // ARN, once the execution has started its map run

	// redriving is set by --redrive, and base is what the map run had
	// succeeded before: the display counts the logs retried since the
	// redrive, not those done before.
	redriving bool
	base      int64
	// redriveCount is the execution's RedriveCount before the redrive and
	// redrivenAt when it was asked for. DescribeExecution is eventually
	// consistent: until it counts the redrive, it may still describe the
	// execution as it ended before.
	redriveCount int32
	redrivenAt   time.Time

	// listed is the map run's total at the last poll. Step Functions does
	// not say when its reader has listed everything; while the total
	// grows from poll to poll, it is taken to be listing still.
	listed int64
}

// maxRedriveLag bounds the wait for DescribeExecution to count a redrive.
const maxRedriveLag = 2 * time.Minute

func (w *backfillWatch) start(ctx context.Context, stateMachine string, in contract.BackfillInput) int {
	e := w.e
	body, err := json.Marshal(in)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp backfill: %v\n", err)
		return 1
	}
	name := executionName(in, w.clock.Now())
	out, err := w.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: &stateMachine, Name: &name, Input: aws.String(string(body)),
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp backfill: starting %s: %v\n", stateMachine, err)
		return 1
	}
	w.execution = aws.ToString(out.ExecutionArn)
	fmt.Fprintf(e.stderr, "pmdp backfill: started %s: the logs delivered from %s to %s (%d dates)\n", name, in.From, in.To, len(in.Dates))
	if note := overListing(stateMachine, in); note != "" {
		fmt.Fprintf(e.stderr, "pmdp backfill: %s\n", note)
	}
	fmt.Fprintln(e.stdout, w.execution)
	return w.watch(ctx, "pmdp backfill")
}

func (w *backfillWatch) redrive(ctx context.Context) int {
	e := w.e
	// How often the execution was redriven before: the first
	// descriptions after the redrive may not count it yet.
	before, err := w.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: &w.execution})
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp backfill: %s: %v\n", w.execution, err)
		return 1
	}
	w.redriveCount = aws.ToInt32(before.RedriveCount)
	// What the map run had done before: the display shows the retried
	// items only.
	if _, err := w.findMapRun(ctx); err != nil {
		fmt.Fprintf(e.stderr, "pmdp backfill: %v\n", err)
		return 1
	}
	if w.mapRun != "" {
		run, err := w.client.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: &w.mapRun})
		if err != nil {
			fmt.Fprintf(e.stderr, "pmdp backfill: %s: %v\n", w.mapRun, err)
			return 1
		}
		if run.ItemCounts != nil {
			w.base, w.listed = run.ItemCounts.Succeeded, run.ItemCounts.Total
		}
	}
	if _, err := w.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: &w.execution}); err != nil {
		fmt.Fprintf(e.stderr, "pmdp backfill: redriving %s: %v\n", w.execution, err)
		return 1
	}
	w.redriving, w.redrivenAt = true, w.clock.Now()
	fmt.Fprintf(e.stderr, "pmdp backfill: redriving %s: its failed logs run again\n", w.execution)
	return w.watch(ctx, "pmdp backfill (redrive)")
}

// maxPollErrors is how many polls in a row may fail, each after the SDK's
// own retries, before backfill stops watching.
const maxPollErrors = 5

// watch polls the execution and its map run, shows their progress until
// the execution ends and returns the exit status.
func (w *backfillWatch) watch(ctx context.Context, label string) int {
	e := w.e
	var (
		display *progress.Display
		desc    *sfn.DescribeExecutionOutput
		counts  = progress.Counts{Listing: true}
		errs    int
	)
	for {
		d, c, err := w.poll1(ctx)
		switch {
		case err == nil && w.beforeRedrive(d):
			// Not an ending: the description predates the redrive.
			if waited := w.clock.Now().Sub(w.redrivenAt); waited >= maxRedriveLag {
				fmt.Fprintf(e.stderr, "pmdp backfill: after %s, Step Functions still describes %s as it was before the redrive (%s, redriven %d times); it may not have started. Watch it, or look at it in the console:\n  pmdp backfill --watch %s\n  %s\n",
					formatLag(waited), w.execution, d.Status, aws.ToInt32(d.RedriveCount), w.execution, consoleURL(w.execution))
				return 1
			}
		case err == nil:
			errs = 0
			desc, counts = d, c
		case ctx.Err() != nil:
		default:
			errs++
			if display != nil {
				fmt.Fprintf(display.Above(e.stderr), "pmdp backfill: %v\n", err)
			} else {
				fmt.Fprintf(e.stderr, "pmdp backfill: %v\n", err)
			}
			if errs == maxPollErrors {
				if display != nil {
					display.Finish(counts)
				}
				fmt.Fprintf(e.stderr, "pmdp backfill: stopped watching after %d failed attempts; the execution goes on. Watch it again:\n  pmdp backfill --watch %s\n", errs, w.execution)
				return 1
			}
		}
		if display == nil && desc != nil {
			display = w.display(label, desc)
		}
		if display != nil && err == nil {
			display.Update(counts)
		}
		if desc != nil && ended(desc) {
			break
		}
		if ctx.Err() != nil || w.clock.Sleep(ctx, w.poll) != nil {
			if display != nil {
				display.Finish(counts)
			}
			fmt.Fprintf(e.stderr, "pmdp backfill: stopped watching; the execution goes on. Watch it again:\n  pmdp backfill --watch %s\n", w.execution)
			return 1
		}
	}
	display.Finish(counts)
	return w.report(desc, counts)
}

// display is the progress display for the execution desc describes.
func (w *backfillWatch) display(label string, desc *sfn.DescribeExecutionOutput) *progress.Display {
	opts := progress.Options{Label: label, Unit: "listed keys", Failed: "in failed batches", Now: w.clock.Now,
		Start: aws.ToTime(desc.StartDate)}
	if w.redriving {
		opts.Start = aws.ToTime(desc.RedriveDate)
	}
	if opts.Start.IsZero() || opts.Start.After(w.clock.Now()) {
		opts.Start = w.clock.Now() // a clock that differs from AWS's
	}
	return w.e.progress(opts)
}

// poll1 describes the execution and its map run once.
func (w *backfillWatch) poll1(ctx context.Context) (*sfn.DescribeExecutionOutput, progress.Counts, error) {
	counts := progress.Counts{Listing: true}
	desc, err := w.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: &w.execution})
	if err != nil {
		return nil, counts, fmt.Errorf("%s: %w", w.execution, err)
	}
	if w.beforeRedrive(desc) {
		return desc, counts, nil
	}
	ended := ended(desc)
	if ok, err := w.findMapRun(ctx); err != nil || !ok {
		counts.Listing = !ended
		return desc, counts, err
	}
	run, err := w.client.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: &w.mapRun})
	if err != nil {
		return nil, counts, fmt.Errorf("%s: %w", w.mapRun, err)
	}
	if n := run.ItemCounts; n != nil {
		failed := n.Failed + n.TimedOut + n.Aborted
		counts = progress.Counts{
			Done:   int(n.Succeeded - w.base + failed),
			Failed: int(failed),
			Total:  int(n.Total - w.base),
			// The map run's reader hands out keys as it lists them, and
			// the total counts those listed so far.
			Listing: !ended && (n.Total == 0 || n.Total > w.listed),
		}
		w.listed = n.Total
	}
	return desc, counts, nil
}

// ended reports whether the execution desc describes has ended.
func ended(desc *sfn.DescribeExecutionOutput) bool {
	return desc.Status != types.ExecutionStatusRunning && desc.Status != types.ExecutionStatusPendingRedrive
}

// beforeRedrive reports whether desc, while redriving, still describes
// the execution as it was before the redrive: ended, and redriven no more
// often than before.
func (w *backfillWatch) beforeRedrive(desc *sfn.DescribeExecutionOutput) bool {
	return w.redriving && ended(desc) && aws.ToInt32(desc.RedriveCount) <= w.redriveCount
}

// formatLag shows a wait in whole seconds.
func formatLag(d time.Duration) string { return d.Round(time.Second).String() }

// findMapRun finds the execution's map run, the newest if a redrive
// started another; false while it has none.
func (w *backfillWatch) findMapRun(ctx context.Context) (bool, error) {
	if w.mapRun != "" {
		return true, nil
	}
	out, err := w.client.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: &w.execution})
	if err != nil {
		return false, fmt.Errorf("listing the map runs of %s: %w", w.execution, err)
	}
	var newest *types.MapRunListItem
	for i, r := range out.MapRuns {
		if newest == nil || aws.ToTime(r.StartDate).After(aws.ToTime(newest.StartDate)) {
			newest = &out.MapRuns[i]
		}
	}
	if newest == nil {
		return false, nil
	}
	w.mapRun = aws.ToString(newest.MapRunArn)
	return true, nil
}

// report says how the execution ended and what to do about failures, and
// returns the exit status.
func (w *backfillWatch) report(desc *sfn.DescribeExecutionOutput, counts progress.Counts) int {
	e := w.e
	status := fmt.Sprintf("execution %s", desc.Status)
	if desc.Error != nil {
		status += ": " + aws.ToString(desc.Error)
		if cause := aws.ToString(desc.Cause); cause != "" {
			status += ": " + cause
		}
	}
	fmt.Fprintf(e.stderr, "pmdp backfill: %s\n  %s\n", status, consoleURL(w.execution))
	if desc.Status == types.ExecutionStatusSucceeded && counts.Failed == 0 {
		return 0
	}
	results := w.results(desc)
	if counts.Failed > 0 {
		// Step Functions counts every item of a batch that failed, timed
		// out or was stopped, whatever became of each.
		fmt.Fprintf(e.stderr, "pmdp backfill: %d listed keys were in batches that failed or were stopped; a batch fails as a whole, so many of them may have been summarized. Step Functions lists those batches in %s (FAILED_*.json)\n", counts.Failed, results)
		if p := results.placeholders(); p != "" {
			fmt.Fprintf(e.stderr, "  (%s)\n", p)
		}
	}
	if desc.Status == types.ExecutionStatusSucceeded {
		// The failures were within the tolerated share, and Step Functions
		// redrives only executions that did not succeed.
		fmt.Fprintln(e.stderr, "pmdp backfill: the execution succeeded, so it cannot be redriven; reprocess the failed batches' logs with")
		fmt.Fprintf(e.stderr, "  aws s3 cp %sFAILED_0.json . && pmdp process --summary-bucket %s --events FAILED_0.json\n", results, results.bucket)
		fmt.Fprintln(e.stderr, "  with the flags that match the stack's settings (--group-by, --exclude, ...), as for any 'pmdp process'")
		if in, ok := executionInput(desc); ok {
			fmt.Fprintf(e.stderr, "or run the whole range again (its summaries are rewritten identically):\n  pmdp backfill --from %s --to %s\n", in.From, in.To)
		}
		return 1
	}
	fmt.Fprintf(e.stderr, "pmdp backfill: rerun what failed (within 14 days):\n  pmdp backfill --redrive %s\n", w.execution)
	return 1
}

// overListing says which folder the map run lists for in, when it holds
// more dates than in's range, and what that does to the progress; "" when
// the folder is the range. The state machine lists the load balancer's
// folder, …/elasticloadbalancing/REGION/, followed by in.DatePrefix.
func overListing(stateMachineARN string, in contract.BackfillInput) string {
	first, errFirst := time.Parse(time.DateOnly, in.From)
	last, errLast := time.Parse(time.DateOnly, in.To)
	if errFirst != nil || errLast != nil {
		return ""
	}
	var folder, advice string
	switch in.DatePrefix {
	case first.Format("2006/01/02/"):
		return ""
	case first.Format("2006/01/"):
		if first.Day() == 1 && last.AddDate(0, 0, 1).Month() != last.Month() {
			return ""
		}
		folder = "every log of " + first.Format("2006-01")
	case first.Format("2006/"):
		if first.YearDay() == 1 && last.Month() == time.December && last.Day() == 31 {
			return ""
		}
		folder, advice = "every log of "+first.Format("2006"), "ranges within one month list less"
	default:
		folder, advice = "every log of every year", "with a long history, back fill one year (or month) at a time"
	}
	where := "…/elasticloadbalancing/"
	if a, err := arn.Parse(stateMachineARN); err == nil {
		where = "…/AWSLogs/" + a.AccountID + "/elasticloadbalancing/" + a.Region + "/"
	}
	note := fmt.Sprintf("the map run lists %s%s, %s: the keys outside %s to %s are skipped in milliseconds, but they count as listed keys done in the progress, its rate and its time left",
		where, in.DatePrefix, folder, in.From, in.To)
	if advice != "" {
		note += "; " + advice
	}
	return note
}

// mapResults is the folder where the map run's ResultWriter wrote its
// results, s3://BUCKET/backfill/ID/.
type mapResults struct {
	bucket, folder string
}

// The placeholders of what backfill could not learn.
const (
	summaryBucketPlaceholder = "SUMMARY_BUCKET"
	mapRunFolderPlaceholder  = "backfill/MAP_RUN_ID/"
)

func (r mapResults) String() string { return "s3://" + r.bucket + "/" + r.folder }

// placeholders explains the placeholders in r, if any.
func (r mapResults) placeholders() string {
	var p []string
	if r.bucket == summaryBucketPlaceholder {
		p = append(p, summaryBucketPlaceholder+": the stack's summary bucket")
	}
	if r.folder == mapRunFolderPlaceholder {
		p = append(p, "MAP_RUN_ID: the last part of the map run's ARN, in the console")
	}
	return strings.Join(p, "; ")
}

// results is where the map run wrote its results: the execution's output
// names them (the map's output, ResultWriterDetails, is in it), else the
// summary bucket is unknown and the map run's ARN gives the folder.
func (w *backfillWatch) results(desc *sfn.DescribeExecutionOutput) mapResults {
	var output map[string]json.RawMessage
	_ = json.Unmarshal([]byte(aws.ToString(desc.Output)), &output) // none while not succeeded
	for _, v := range output {
		var m struct {
			ResultWriterDetails struct{ Bucket, Key string }
		}
		if json.Unmarshal(v, &m) == nil && m.ResultWriterDetails.Bucket != "" && strings.HasSuffix(m.ResultWriterDetails.Key, "/manifest.json") {
			return mapResults{bucket: m.ResultWriterDetails.Bucket, folder: strings.TrimSuffix(m.ResultWriterDetails.Key, "manifest.json")}
		}
	}
	r := mapResults{bucket: summaryBucketPlaceholder, folder: mapRunFolderPlaceholder}
	if id := mapRunID(w.mapRun); id != "" {
		r.folder = "backfill/" + id + "/"
	}
	return r
}

// executionInput is the backfill input the execution was started with.
func executionInput(desc *sfn.DescribeExecutionOutput) (contract.BackfillInput, bool) {
	var in contract.BackfillInput
	if err := json.Unmarshal([]byte(aws.ToString(desc.Input)), &in); err != nil || in.From == "" || in.To == "" {
		return in, false
	}
	return in, true
}

// mapRunID is the last part of a map run's ARN, which names the folder
// its ResultWriter writes into.
func mapRunID(mapRunARN string) string {
	if i := strings.LastIndexByte(mapRunARN, ':'); i >= 0 && i+1 < len(mapRunARN) {
		return mapRunARN[i+1:]
	}
	return ""
}

// consoleURL is the address of an execution in the AWS console, or its
// ARN outside the partitions whose console address is known.
func consoleURL(executionARN string) string {
	a, err := arn.Parse(executionARN)
	if err != nil || a.Partition != "aws" {
		return executionARN
	}
	return "https://" + a.Region + ".console.aws.amazon.com/states/home?region=" + a.Region +
		"#/v2/executions/details/" + url.PathEscape(executionARN)
}
