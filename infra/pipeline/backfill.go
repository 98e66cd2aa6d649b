package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/pmdp/pmdp/internal/contract"
)

// The backfill state machine's fixed parts.
const (
	// BackfillResultsPrefix is the key prefix, in the summary bucket, of
	// the backfill's map results: each map run writes its own under
	// BackfillResultsPrefix + "<map run id>/", the failed batches
	// (FAILED_*.json) with their keys and errors, and the others.
	BackfillResultsPrefix = "backfill/"
	// BackfillMapName is the name, and the label, of the one Distributed
	// Map: `pmdp backfill` finds its map run by it.
	BackfillMapName = "Process"

	// resultWriterV2Flag is the feature flag under which CDK renders a
	// Distributed Map's ResultWriterV2.
	resultWriterV2Flag = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"

	// backfillComment is the state machine's description, in its
	// definition.
	backfillComment = `pmdp backfill: summarize again every access log of a range of delivery dates, then rebuild their rollups. Input: {"from":"YYYY-MM-DD","to":"YYYY-MM-DD","datePrefix":…,"dates":[…]} (pmdp backfill writes it)`

	// Express child workflows end after 5 minutes, retries included.
	expressLimit = 5 * time.Minute
	// backfillFileTime is what summarizing a typical file takes the
	// function at 1 GB (scale.md's estimate for a 5-minute log of one
	// node).
	backfillFileTime = 300 * time.Millisecond
	// A batch is planned to take a quarter of the time it may: three
	// attempts and the waits between them fit in an Express child, and a
	// batch of files larger than usual still ends before the function's
	// timeout.
	backfillBatchShare = 4
	// maxBackfillBatchBytes bounds a batch's input below Step Functions'
	// 256 KiB: keys may be up to 1 KB long.
	maxBackfillBatchBytes = 200 * 1024
	// backfillWeek is how many dates one rollup invocation rebuilds. One
	// invocation per date would cost a year-long backfill some 2,600
	// events in the execution's history and a ten-year one more than its
	// 25,000; a week is rebuilt well within a function's timeout.
	backfillWeek = 7
	// backfillRollupConcurrency is how many weeks are rebuilt at once.
	backfillRollupConcurrency = 10
)

// backfillBatchSize is MaxItemsPerBatch for a function of timeout: a
// quarter of what a batch may take, in files of backfillFileTime. The
// default 5-minute timeout gives 250.
func backfillBatchSize(timeout time.Duration) int {
	budget := min(timeout, expressLimit) / backfillBatchShare
	return max(1, int(budget/backfillFileTime))
}

// validateBackfill checks the backfill's props.
func (p Props) validateBackfill() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c := p.BackfillConcurrency; c < 1 || c > MaxBackfillConcurrency {
		add("BackfillConcurrency %d: must be from 1 to %d", c, MaxBackfillConcurrency)
	}
	// The batches beyond the function's reservation would only be
	// throttled, and after their retries count as failed.
	if r, c := p.ReservedConcurrency, p.BackfillConcurrency; r > 0 && c > r {
		add("BackfillConcurrency %d exceeds ReservedConcurrency %d: the batches beyond it would be throttled until they fail; lower BackfillConcurrency to at most %d", c, r, r)
	}
	if f := p.BackfillToleratedFailurePercent; f < 0 || f > 100 {
		add("BackfillToleratedFailurePercent %d: must be from 0 to 100", f)
	}
	if b := p.SummaryBucket; b != nil {
		errs = append(errs, resultBucketElsewhere(b)...)
	}
	// The function refuses keys under these prefixes; the results must
	// stay apart from what it reads and writes.
	for _, prefix := range []struct{ name, value string }{{"SummaryPrefix", p.SummaryPrefix}, {"RollupPrefix", p.RollupPrefix}} {
		if strings.HasPrefix(prefix.value, BackfillResultsPrefix) || strings.HasPrefix(BackfillResultsPrefix, prefix.value) {
			add("%s %q overlaps %q, where the backfill writes its results", prefix.name, prefix.value, BackfillResultsPrefix)
		}
	}
	return errs
}

// resultBucketElsewhere reports a bucket known to be in another account
// or region than its stack, as a bucket imported with its attributes may
// be: Step Functions writes a map's results only to a bucket of the
// state machine's account and region. What a token stands for is left
// to deployment.
func resultBucketElsewhere(bucket awss3.IBucket) []error {
	var errs []error
	stack := awscdk.Stack_Of(bucket)
	for _, where := range []struct {
		what          string
		bucket, stack *string
	}{
		{"account", bucket.Env().Account, stack.Account()},
		{"region", bucket.Env().Region, stack.Region()},
	} {
		if *awscdk.Token_IsUnresolved(where.bucket) || *awscdk.Token_IsUnresolved(where.stack) || *where.bucket == *where.stack {
			continue
		}
		errs = append(errs, fmt.Errorf("SummaryBucket is in %s %s, the stack in %s: with Backfill, Step Functions writes the map's results only to a bucket of the state machine's %s",
			where.what, *where.bucket, *where.stack, where.what))
	}
	return errs
}

// backfill builds the backfill state machine (see Props.Backfill). Its
// input is a contract.BackfillInput. Its role is given only what the
// states need; CDK's own grants are left out (the role is passed without
// policy updates) because the result writer's would reach every object
// of the summary bucket, for reading too.
func (pl *Pipeline) backfill() {
	p := pl.props
	if !p.Backfill {
		return
	}
	scope := constructs.NewConstruct(pl.Construct, jsii.String("Backfill"))
	// Without this flag CDK renders the map's ResultWriterV2 as the
	// version 1 writer, which was never set: no results, no FAILED_*.json,
	// and every batch's output inline, past Step Functions' 256 KiB. An
	// app of the user's own may lack it, and the map's context lookup
	// walks up to here; a node takes context only before it has children.
	scope.Node().SetContext(jsii.String(resultWriterV2Flag), true)
	stack := awscdk.Stack_Of(pl.Construct)

	// Prepare: the folder to list, and the dates to roll up by week.
	// The account and region may be tokens, which must stay as they are;
	// neither holds a character to escape once resolved.
	folder := intrinsicLiteral(pl.logKeyPrefix) + *stack.Account() + "/elasticloadbalancing/" + *stack.Region() + "/"
	prepare := sfn.NewPass(scope, jsii.String("Prepare"), &sfn.PassProps{
		Comment: jsii.String("The folder to list: the load balancer's, then the range's date prefix (yyyy/, yyyy/mm/ or yyyy/mm/dd/)"),
		Parameters: &map[string]any{
			"from.$":   "$.from",
			"to.$":     "$.to",
			"prefix.$": "States.Format('" + folder + "{}', $.datePrefix)",
			"weeks.$":  fmt.Sprintf("States.ArrayPartition($.dates, %d)", backfillWeek),
		},
	})

	// Process: batches of listed keys, each given to the function.
	processBatch := awsstepfunctionstasks.NewLambdaInvoke(scope, jsii.String("ProcessBatch"), &awsstepfunctionstasks.LambdaInvokeProps{
		Comment:             jsii.String("Summarize the batch's files; the function fails naming each file that failed"),
		LambdaFunction:      pl.function,
		PayloadResponseOnly: jsii.Bool(true), // the counts, in the map's results
	})
	retryLambda(processBatch)
	process := sfn.NewDistributedMap(scope, jsii.String(BackfillMapName), &sfn.DistributedMapProps{
		Comment: jsii.String("Summarize every access log in the folder, in batches, as Express child workflows"),
		Label:   jsii.String(BackfillMapName),
		ItemReader: sfn.NewS3ObjectsItemReader(&sfn.S3ObjectsItemReaderProps{
			Bucket: pl.logBucket,
			Prefix: sfn.JsonPath_StringAt(jsii.String("$.prefix")),
		}),
		// Only the key: the batch is what the function reads.
		ItemSelector: &map[string]any{"Key.$": "$$.Map.Item.Value.Key"},
		ItemBatcher: sfn.NewItemBatcher(&sfn.ItemBatcherProps{
			MaxItemsPerBatch:      jsii.Number(float64(backfillBatchSize(p.FunctionTimeout))),
			MaxInputBytesPerBatch: jsii.Number(maxBackfillBatchBytes),
			BatchInput: &map[string]any{
				"pmdp":   contract.BackfillOp,
				"bucket": pl.logBucket.BucketName(),
				"from.$": "$.from",
				"to.$":   "$.to",
			},
		}),
		MapExecutionType:           sfn.StateMachineType_EXPRESS,
		MaxConcurrency:             jsii.Number(float64(p.BackfillConcurrency)),
		ToleratedFailurePercentage: jsii.Number(float64(p.BackfillToleratedFailurePercent)),
		ResultWriterV2: sfn.NewResultWriterV2(&sfn.ResultWriterV2Props{
			Bucket: pl.summaryBucket,
			// Step Functions adds "/<map run id>/" itself.
			Prefix: jsii.String(strings.TrimSuffix(BackfillResultsPrefix, "/")),
		}),
		ResultPath: jsii.String("$.processed"),
	})
	process.ItemProcessor(processBatch, nil)

	// RollUp: every date of the range, a week per invocation, once every
	// batch has succeeded. A failed map is not caught: the execution fails
	// at it, so that a redrive reruns the map's failed batches (a redrive
	// reruns only states that did not exit, and a caught map has exited)
	// and then rolls up.
	rollUpWeek := awsstepfunctionstasks.NewLambdaInvoke(scope, jsii.String("RollUpWeek"), &awsstepfunctionstasks.LambdaInvokeProps{
		Comment:        jsii.String("Rebuild the rollups of a week's dates (a sweep naming them publishes no report)"),
		LambdaFunction: pl.function,
		ResultPath:     sfn.JsonPath_DISCARD(),
	})
	retryLambda(rollUpWeek)
	rollUp := sfn.NewMap(scope, jsii.String("RollUp"), &sfn.MapProps{
		Comment:        jsii.String("Rebuild the rollups of every date of the range"),
		ItemsPath:      jsii.String("$.weeks"),
		ItemSelector:   &map[string]any{"pmdp": contract.SweepOp, "dates.$": "$$.Map.Item.Value"},
		MaxConcurrency: jsii.Number(backfillRollupConcurrency),
		ResultPath:     sfn.JsonPath_DISCARD(),
	})
	rollUp.ItemProcessor(rollUpWeek, nil)

	after := sfn.Chain_Start(rollUp)
	if p.PublishReport {
		// Once, now that the rollups are rebuilt: a sweep of the window
		// publishes the report.
		publish := awsstepfunctionstasks.NewLambdaInvoke(scope, jsii.String("PublishReport"), &awsstepfunctionstasks.LambdaInvokeProps{
			Comment:        jsii.String("Sweep the window, which publishes the report"),
			LambdaFunction: pl.function,
			Payload:        sfn.TaskInput_FromObject(scheduledSweep()),
			ResultPath:     sfn.JsonPath_DISCARD(),
		})
		retryLambda(publish)
		after = after.Next(publish)
	}
	definition := sfn.Chain_Start(prepare).Next(process).Next(after)

	// The definition is rendered here rather than by the state machine,
	// whose grant pass would attach a policy of CDK's own to the role
	// (ignored, but still checked by cdk-nag).
	// The state machine's Comment goes into the definition here too: a
	// body given as a string keeps none of the state machine's props.
	graph := sfn.NewStateGraph(definition.StartState(), jsii.String("pmdp backfill"))
	graphJSON := graph.ToGraphJson(sfn.QueryLanguage_JSON_PATH)
	(*graphJSON)["Comment"] = backfillComment
	body := sfn.DefinitionBody_FromString(stack.ToJsonString(graphJSON, nil))

	role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
		Description: jsii.String("pmdp backfill: list the access logs, invoke the function, record the map's results, log and trace"),
	})
	logGroup := awslogs.NewLogGroup(scope, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention:     p.FunctionLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	machine := sfn.NewStateMachine(scope, jsii.String("StateMachine"), &sfn.StateMachineProps{
		DefinitionBody:   body,
		StateMachineType: sfn.StateMachineType_STANDARD,
		Role:             role.WithoutPolicyUpdates(nil),
		// Every event, without the data: the batches' keys are in the
		// function's own log.
		Logs:           &sfn.LogOptions{Destination: logGroup, Level: sfn.LogLevel_ALL, IncludeExecutionData: jsii.Bool(false)},
		TracingEnabled: jsii.Bool(true),
	})
	pl.backfillPolicy(role)
	pl.childWorkflowPolicy(scope, role, machine)
	pl.backfillRole, pl.backfillStateMachine = role, machine
	pl.explainBackfillFindings()
}

// backfillPolicy gives the backfill's role what its states do, and no
// more, but for the child workflows (childWorkflowPolicy).
func (pl *Pipeline) backfillPolicy(role awsiam.Role) {
	statement := func(sid string, actions []string, resources ...*string) {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: &resources,
		}))
	}
	// The item reader lists the log folder, which the load balancer
	// alone writes to.
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ListAccessLogs"),
		Actions:    jsii.Strings("s3:ListBucket"),
		Resources:  &[]*string{pl.logBucket.BucketArn()},
		Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": pl.logKeyPrefix + "*"}},
	}))
	statement("InvokeFunction", []string{"lambda:InvokeFunction"}, pl.function.FunctionArn())
	// The result writer writes in parts, and reads back what it wrote.
	statement("WriteMapResults", []string{"s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"},
		pl.summaryBucket.ArnForObjects(jsii.String(BackfillResultsPrefix+"*")))
	if key := pl.summaryBucket.EncryptionKey(); key != nil {
		statement("EncryptMapResults", []string{"kms:GenerateDataKey", "kms:Decrypt"}, key.KeyArn())
	}
	// These take no resource.
	statement("DeliverLogs", []string{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
		"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}, jsii.String("*"))
	statement("Trace", []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"}, jsii.String("*"))
}

// childWorkflowPolicy lets the Distributed Map start, watch, stop and
// redrive its child workflows, which are executions of machine. These
// statements name the state machine, which depends on its role's default
// policy: they are a policy of their own, as CDK's would be.
func (pl *Pipeline) childWorkflowPolicy(scope constructs.Construct, role awsiam.Role, machine sfn.StateMachine) {
	stack := awscdk.Stack_Of(pl.Construct)
	executions := func(name string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("states"), Resource: jsii.String("execution"),
			ResourceName: jsii.String(name + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
	}
	name := *machine.StateMachineName()
	children, mapRuns := executions(name), executions(name+"/"+BackfillMapName)
	policy := awsiam.NewPolicy(scope, jsii.String("ChildWorkflowPolicy"), &awsiam.PolicyProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("StartChildWorkflows"), Actions: jsii.Strings("states:StartExecution"),
				Resources: &[]*string{machine.StateMachineArn()},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("WatchChildWorkflows"), Actions: jsii.Strings("states:DescribeExecution", "states:StopExecution"),
				Resources: &[]*string{children},
			}),
			// A redriven map run reruns Express children with
			// StartExecution (above), so this may go unused. It stays
			// because Step Functions' guide to redriving a map run asks
			// for it whatever the children's type, CDK's own grant gives
			// it too, and its absence would show only in a failed
			// redrive on AWS, which no test here can run.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("RedriveChildWorkflows"), Actions: jsii.Strings("states:RedriveExecution"),
				Resources: &[]*string{mapRuns},
			}),
		},
	})
	role.AttachInlinePolicy(policy)
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("A Distributed Map's child workflows are executions of its own state machine, whose names Step Functions chooses."),
		AppliesTo: &[]any{nagResource(stack, children, ""), nagResource(stack, mapRuns, "")},
	}}, jsii.Bool(true))
}

// explainBackfillFindings explains the AwsSolutions findings on the
// backfill role's own policy; childWorkflowPolicy explains its own.
func (pl *Pipeline) explainBackfillFindings() {
	stack := awscdk.Stack_Of(pl.Construct)
	cdknag.NagSuppressions_AddResourceSuppressions(pl.backfillRole, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The map's results are written under their own prefix; log delivery and X-Ray take no resource " +
			"(https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html, https://docs.aws.amazon.com/xray/latest/devguide/security_iam_id-based-policy-examples.html)."),
		AppliesTo: &[]any{
			nagResource(stack, pl.summaryBucket.BucketArn(), "/"+BackfillResultsPrefix+"*"),
			"Resource::*",
		},
	}}, jsii.Bool(true))
}

// retryLambda retries a function invocation that was throttled, at length
// (the batches outnumber the function's concurrency), and one that failed,
// twice: a batch's files are summarized again, which is idempotent. CDK's
// own retry of Lambda's service errors comes first.
func retryLambda(task awsstepfunctionstasks.LambdaInvoke) {
	task.AddRetry(&sfn.RetryProps{
		Errors:         jsii.Strings("Lambda.TooManyRequestsException"),
		Interval:       awscdk.Duration_Seconds(jsii.Number(2)),
		MaxAttempts:    jsii.Number(8),
		BackoffRate:    jsii.Number(2),
		MaxDelay:       awscdk.Duration_Seconds(jsii.Number(30)),
		JitterStrategy: sfn.JitterType_FULL,
	})
	task.AddRetry(&sfn.RetryProps{
		Errors:         jsii.Strings("States.ALL"),
		Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
		MaxAttempts:    jsii.Number(2),
		BackoffRate:    jsii.Number(3),
		JitterStrategy: sfn.JitterType_FULL,
	})
}

// scheduledSweep is contract.ScheduledSweep as an object: a task's text
// payload would reach the function as a JSON string.
func scheduledSweep() *map[string]any {
	var sweep map[string]any
	if err := json.Unmarshal([]byte(contract.ScheduledSweep), &sweep); err != nil {
		panic(fmt.Sprintf("contract.ScheduledSweep: %v", err)) // cannot happen: tested
	}
	return &sweep
}

// intrinsicLiteral writes s as the inside of a quoted string of an
// intrinsic function: ', {, } and \ are escaped.
func intrinsicLiteral(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`, `{`, `\{`, `}`, `\}`).Replace(s)
}

// BackfillStateMachine reprocesses ranges of dates; nil without Backfill.
func (pl *Pipeline) BackfillStateMachine() sfn.StateMachine { return pl.backfillStateMachine }
