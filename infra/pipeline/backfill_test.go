package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/errtest"
)

func TestBackfillBatchSize(t *testing.T) {
	for timeout, want := range map[time.Duration]int{
		5 * time.Minute:  250, // the default
		15 * time.Minute: 250, // an Express child ends after 5 minutes anyway
		2 * time.Minute:  100,
		time.Minute:      50,
		time.Second:      1,
	} {
		if got := backfillBatchSize(timeout); got != want {
			t.Errorf("backfillBatchSize(%v) = %d, want %d", timeout, got, want)
		}
	}
}

func TestIntrinsicLiteral(t *testing.T) {
	if got, want := intrinsicLiteral(`logs/it's {a}\b/`), `logs/it\'s \{a\}\\b/`; got != want {
		t.Errorf("intrinsicLiteral = %q, want %q", got, want)
	}
}

// Validation is plain Go: these cases need no Node process.
func TestValidateBackfill(t *testing.T) {
	tests := []struct {
		name    string
		props   Props
		wantErr []string
	}{
		{"the defaults", Props{Backfill: true}, nil},
		{"the limits", Props{Backfill: true, BackfillConcurrency: 10000, BackfillToleratedFailurePercent: 100}, nil},
		{"too many at once", Props{Backfill: true, BackfillConcurrency: 10001}, []string{"BackfillConcurrency 10001: must be from 1 to 10000"}},
		{"negative", Props{Backfill: true, BackfillConcurrency: -1, BackfillToleratedFailurePercent: -1},
			[]string{"BackfillConcurrency -1", "BackfillToleratedFailurePercent -1: must be from 0 to 100"}},
		{"over 100%", Props{Backfill: true, BackfillToleratedFailurePercent: 101}, []string{"BackfillToleratedFailurePercent 101"}},
		{"summaries under the results", Props{Backfill: true, SummaryPrefix: "backfill/summaries/"},
			[]string{`SummaryPrefix "backfill/summaries/" overlaps "backfill/"`}},
		{"rollups over the results", Props{Backfill: true, RollupPrefix: "b/"}, nil},
		{"as many as reserved", Props{Backfill: true, ReservedConcurrency: 40, BackfillConcurrency: 40}, nil},
		{"more than reserved", Props{Backfill: true, ReservedConcurrency: 40, BackfillConcurrency: 41},
			[]string{"BackfillConcurrency 41 exceeds ReservedConcurrency 40"}},
		{"the default, more than reserved", Props{Backfill: true, ReservedConcurrency: 10},
			[]string{"BackfillConcurrency 100 exceeds ReservedConcurrency 10"}},
		{"no reservation, no cap", Props{Backfill: true, BackfillConcurrency: 10000}, nil},
		{"without the backfill, no such check", Props{SummaryPrefix: "backfill/summaries/", BackfillConcurrency: -1, ReservedConcurrency: 10}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.props.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			errtest.Mentions(t, err, tt.wantErr...)
		})
	}
}

// With Backfill, the summary bucket receives the map's results, which
// Step Functions writes only in the state machine's account and region: a
// bucket imported from elsewhere is refused, when its attributes say so.
func TestValidateBackfillSummaryBucket(t *testing.T) {
	tests := []struct {
		name    string
		attrs   awss3.BucketAttributes
		wantErr []string
	}{
		{"named only: the stack's", awss3.BucketAttributes{}, nil},
		{"the stack's region and account", awss3.BucketAttributes{Region: jsii.String("us-east-1"), Account: jsii.String("123456789012")}, nil},
		{"another region", awss3.BucketAttributes{Region: jsii.String("eu-west-1")},
			[]string{"SummaryBucket is in region eu-west-1, the stack in us-east-1: with Backfill"}},
		{"another account", awss3.BucketAttributes{Account: jsii.String("210987654321")},
			[]string{"SummaryBucket is in account 210987654321, the stack in 123456789012"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), &awscdk.StackProps{Env: testEnv})
			tt.attrs.BucketName = jsii.String("reports")
			bucket := awss3.Bucket_FromBucketAttributes(stack, jsii.String("Reports"), &tt.attrs)
			if err := (&Props{SummaryBucket: bucket}).Validate(); err != nil {
				t.Fatalf("without Backfill: %v", err)
			}
			err := (&Props{SummaryBucket: bucket, Backfill: true}).Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			errtest.Mentions(t, err, tt.wantErr...)
		})
	}
}

// asl parses a state machine's DefinitionString, writing each reference
// to a resource as "<Ref ID>", "<ID.Attr>" or "<Partition>".
func asl(t *testing.T, sm map[string]any) map[string]any {
	t.Helper()
	var text strings.Builder
	switch d := props(sm)["DefinitionString"].(type) {
	case string:
		text.WriteString(d)
	case map[string]any:
		parts := d["Fn::Join"].([]any)[1].([]any)
		for _, p := range parts {
			switch v := p.(type) {
			case string:
				text.WriteString(v)
			case map[string]any:
				if r, ok := v["Ref"]; ok && r == "AWS::Partition" {
					text.WriteString("<Partition>")
				} else if ok {
					fmt.Fprintf(&text, "<Ref %v>", r)
				} else if ga, ok := v["Fn::GetAtt"].([]any); ok {
					fmt.Fprintf(&text, "<%v.%v>", ga[0], ga[1])
				} else {
					t.Fatalf("unexpected part %v of the definition", v)
				}
			}
		}
	}
	var def map[string]any
	if err := json.Unmarshal([]byte(text.String()), &def); err != nil {
		t.Fatalf("definition is not JSON: %v\n%s", err, text.String())
	}
	return def
}

// state returns the state named name of def, or of the item processor of
// the Map state parent within it.
func state(t *testing.T, def map[string]any, path ...string) map[string]any {
	t.Helper()
	states := def["States"].(map[string]any)
	for i, name := range path {
		s, ok := states[name].(map[string]any)
		if !ok {
			t.Fatalf("no state %s among %v", strings.Join(path[:i+1], "/"), keysOf(states))
		}
		if i == len(path)-1 {
			return s
		}
		states = s["ItemProcessor"].(map[string]any)["States"].(map[string]any)
	}
	return nil
}

// retries is what retryLambda adds after CDK's own retry of Lambda's
// service errors.
var retries = []any{
	map[string]any{"ErrorEquals": []any{"Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"},
		"IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2},
	map[string]any{"ErrorEquals": []any{"Lambda.TooManyRequestsException"}, "IntervalSeconds": 2, "MaxAttempts": 8, "BackoffRate": 2,
		"MaxDelaySeconds": 30, "JitterStrategy": "FULL"},
	map[string]any{"ErrorEquals": []any{"States.ALL"}, "IntervalSeconds": 5, "MaxAttempts": 2, "BackoffRate": 3, "JitterStrategy": "FULL"},
}

// The state machine: list the range's folder, process it in batches of
// Express children with bounded concurrency and tolerance, record the
// results under backfill/, then, once the map has succeeded, rebuild
// every date's rollups, a week per invocation, and publish the report
// once; a failed map fails the execution before the rollups. Its role
// may do exactly that.
func TestBackfill(t *testing.T) {
	tm := synth(t, &Props{Backfill: true, PublishReport: true, FunctionTimeout: 2 * time.Minute, LogPrefix: "alb's",
		BackfillConcurrency: 40, BackfillToleratedFailurePercent: 5}).template
	smID, sm := tm.one(t, "AWS::StepFunctions::StateMachine")
	fnID, _ := tm.named(t, "AWS::Lambda::Function", "PipelineFunction")
	bucket := logBucketID(tm, t)
	logGroupID, _ := tm.named(t, "AWS::Logs::LogGroup", "PipelineBackfillLogGroup")
	roleID, role := tm.named(t, "AWS::IAM::Role", "PipelineBackfillRole")

	def := asl(t, sm)
	if def["StartAt"] != "Prepare" {
		t.Errorf("StartAt %v", def["StartAt"])
	}
	if c, _ := def["Comment"].(string); !strings.HasPrefix(c, "pmdp backfill: summarize again every access log of a range of delivery dates") {
		t.Errorf("the definition's Comment is %q", c)
	}
	jsonEq(t, "Prepare", state(t, def, "Prepare")["Parameters"], map[string]any{
		"from.$": "$.from", "to.$": "$.to",
		"prefix.$": `States.Format('alb\'s/AWSLogs/123456789012/elasticloadbalancing/us-east-1/{}', $.datePrefix)`,
		"weeks.$":  "States.ArrayPartition($.dates, 7)",
	})

	var distributed []string
	for name, s := range def["States"].(map[string]any) {
		processor, _ := s.(map[string]any)["ItemProcessor"].(map[string]any)
		if config, _ := processor["ProcessorConfig"].(map[string]any); config["Mode"] == "DISTRIBUTED" {
			distributed = append(distributed, name)
		}
	}
	if len(distributed) != 1 || distributed[0] != BackfillMapName {
		t.Errorf("Distributed Maps %v, want one, %s", distributed, BackfillMapName)
	}
	process := state(t, def, "Process")
	fn := "<" + fnID + ".Arn>"
	jsonEq(t, "the Distributed Map", process, map[string]any{
		"Type":       "Map",
		"Comment":    "Summarize every access log in the folder, in batches, as Express child workflows",
		"Label":      "Process",
		"ResultPath": "$.processed",
		"Next":       "RollUp",
		"ItemReader": map[string]any{
			"Resource":   "arn:<Partition>:states:::s3:listObjectsV2",
			"Parameters": map[string]any{"Bucket": "<Ref " + bucket + ">", "Prefix.$": "$.prefix"},
		},
		"ItemSelector": map[string]any{"Key.$": "$$.Map.Item.Value.Key"},
		"ItemBatcher": map[string]any{
			"MaxItemsPerBatch":      100, // 2 minutes
			"MaxInputBytesPerBatch": 204800,
			"BatchInput":            map[string]any{"pmdp": "backfill", "bucket": "<Ref " + bucket + ">", "from.$": "$.from", "to.$": "$.to"},
		},
		"MaxConcurrency":             40,
		"ToleratedFailurePercentage": 5,
		"ResultWriter": map[string]any{
			"Resource": "arn:<Partition>:states:::s3:putObject",
			// Step Functions writes under "backfill/<map run id>/".
			"Parameters": map[string]any{"Bucket": "<Ref " + bucket + ">", "Prefix": "backfill"},
		},
		"ItemProcessor": map[string]any{
			"ProcessorConfig": map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
			"StartAt":         "ProcessBatch",
			"States": map[string]any{"ProcessBatch": map[string]any{
				"Type": "Task", "End": true, "Resource": fn, "Retry": retries,
				"Comment": "Summarize the batch's files; the function fails naming each file that failed",
			}},
		},
	})

	checkBatchContract(t, state(t, def, "Prepare"), process, "<Ref "+bucket+">")

	rollUp := state(t, def, "RollUp")
	for field, want := range map[string]any{
		"ItemsPath": "$.weeks", "MaxConcurrency": 10, "ResultPath": nil, "Next": "PublishReport",
		"ItemSelector":    map[string]any{"pmdp": "rollup", "dates.$": "$$.Map.Item.Value"},
		"ProcessorConfig": map[string]any{"Mode": "INLINE"},
	} {
		got := rollUp[field]
		if field == "ProcessorConfig" {
			got = rollUp["ItemProcessor"].(map[string]any)[field]
		}
		jsonEq(t, "RollUp "+field, got, want)
	}
	week := state(t, def, "RollUp", "RollUpWeek")
	jsonEq(t, "RollUpWeek", []any{week["Resource"], week["Parameters"], week["Retry"], week["ResultPath"]},
		[]any{"arn:<Partition>:states:::lambda:invoke", map[string]any{"FunctionName": fn, "Payload.$": "$"}, retries, nil})
	publish := state(t, def, "PublishReport")
	jsonEq(t, "PublishReport", []any{publish["Parameters"], publish["Next"], publish["ResultPath"]},
		[]any{map[string]any{"FunctionName": fn, "Payload": map[string]any{"pmdp": "rollup"}}, nil, nil})
	if publish["End"] != true {
		t.Errorf("PublishReport is not the last state: %v", publish)
	}
	// A redrive reruns only the states that did not exit: were the map's
	// failure caught, the map would have exited and its failed batches
	// would never run again.
	if n := len(def["States"].(map[string]any)); n != 4 {
		t.Errorf("%d states, want Prepare, Process, RollUp and PublishReport", n)
	}

	jsonEq(t, "state machine", []any{props(sm)["StateMachineType"], props(sm)["RoleArn"], props(sm)["LoggingConfiguration"], props(sm)["TracingConfiguration"]},
		[]any{"STANDARD", arnOf(roleID), map[string]any{
			"Destinations":         []any{map[string]any{"CloudWatchLogsLogGroup": map[string]any{"LogGroupArn": arnOf(logGroupID)}}},
			"IncludeExecutionData": false, "Level": "ALL",
		}, map[string]any{"Enabled": true}})

	jsonEq(t, "role trust", props(role)["AssumeRolePolicyDocument"].(map[string]any)["Statement"], []any{map[string]any{
		"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]any{"Service": "states.amazonaws.com"},
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}},
	}})
	policies := map[string]any{}
	for id, p := range tm.resources("AWS::IAM::Policy") {
		if strings.HasPrefix(id, "PipelineBackfill") {
			jsonEq(t, id+" roles", props(p)["Roles"], []any{ref(roleID)})
			policies[id] = props(p)["PolicyDocument"].(map[string]any)["Statement"]
		}
	}
	if len(policies) != 2 {
		t.Fatalf("backfill policies %v, want the role's and the child workflows'", keysOf(policies))
	}
	for id, statements := range policies {
		want := []any{
			map[string]any{"Sid": "ListAccessLogs", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arnOf(bucket),
				"Condition": map[string]any{"StringLike": map[string]any{"s3:prefix": "alb's/AWSLogs/*"}}},
			map[string]any{"Sid": "InvokeFunction", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arnOf(fnID)},
			map[string]any{"Sid": "WriteMapResults", "Effect": "Allow",
				"Action":   []any{"s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"},
				"Resource": map[string]any{"Fn::Join": []any{"", []any{arnOf(bucket), "/backfill/*"}}}},
			map[string]any{"Sid": "DeliverLogs", "Effect": "Allow", "Resource": "*", "Action": []any{"logs:CreateLogDelivery", "logs:DeleteLogDelivery",
				"logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery"}},
			map[string]any{"Sid": "Trace", "Effect": "Allow", "Resource": "*",
				"Action": []any{"xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"}},
		}
		if strings.Contains(id, "ChildWorkflowPolicy") {
			executions := func(suffix string) any {
				return map[string]any{"Fn::Join": []any{"", []any{"arn:aws:states:us-east-1:123456789012:execution:",
					map[string]any{"Fn::GetAtt": []any{smID, "Name"}}, suffix}}}
			}
			want = []any{
				map[string]any{"Sid": "StartChildWorkflows", "Effect": "Allow", "Action": "states:StartExecution", "Resource": ref(smID)},
				map[string]any{"Sid": "WatchChildWorkflows", "Effect": "Allow", "Action": []any{"states:DescribeExecution", "states:StopExecution"},
					"Resource": executions(":*")},
				map[string]any{"Sid": "RedriveChildWorkflows", "Effect": "Allow", "Action": "states:RedriveExecution", "Resource": executions("/Process:*")},
			}
		}
		jsonEq(t, id, statements, want)
	}
	// The role's permissions exist before the state machine; the child
	// workflows' name it, so they come after (no cycle).
	defaultPolicy, _ := tm.named(t, "AWS::IAM::Policy", "PipelineBackfillRoleDefaultPolicy")
	jsonEq(t, "DependsOn", sm["DependsOn"], []any{defaultPolicy, roleID})
}

// Context turns the backfill on for the deployable stack, with the
// defaults: a batch of 250 for the 5-minute timeout, 100 at once, no
// failure tolerated (the field left out: 0 is Step Functions' default),
// no report step; and the stack names the state machine. The account is
// left to deployment, as `cdk synth` leaves it without credentials: the
// folder's name and cdk-nag's findings hold a reference.
func TestBackfillFromContext(t *testing.T) {
	app := NewApp(map[string]any{"backfill": "true"}, t.TempDir())
	p, err := PropsFromContext(app.Node().GetAllContext(nil).(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	env := &awscdk.Environment{Region: jsii.String("eu-west-1")}
	tm := templateOf(t, NewStack(app, "Pmdp", &StackProps{StackProps: awscdk.StackProps{Env: env}, Pipeline: p}))
	smID, sm := tm.one(t, "AWS::StepFunctions::StateMachine")
	jsonEq(t, "BackfillStateMachineArn", tm["Outputs"].(map[string]any)["BackfillStateMachineArn"].(map[string]any)["Value"], ref(smID))
	def := asl(t, sm)
	jsonEq(t, "Prepare's prefix", state(t, def, "Prepare")["Parameters"].(map[string]any)["prefix.$"],
		"States.Format('logs/AWSLogs/<Ref AWS::AccountId>/elasticloadbalancing/eu-west-1/{}', $.datePrefix)")
	process := state(t, def, "Process")
	jsonEq(t, "defaults", []any{process["MaxConcurrency"], process["ItemBatcher"].(map[string]any)["MaxItemsPerBatch"], process["ToleratedFailurePercentage"]},
		[]any{100, 250, nil})
	if end := state(t, def, "RollUp")["End"]; end != true {
		t.Errorf("RollUp is not the last state: no report to publish")
	}
	if _, ok := def["States"].(map[string]any)["PublishReport"]; ok {
		t.Error("a PublishReport state without PublishReport")
	}
}

// The construct in an app of the user's own, without the project's
// feature flags: the map still writes its results, the failed batches
// among them, rather than returning every batch's output inline.
func TestBackfillWithoutFeatureFlags(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("Theirs"), &awscdk.StackProps{Env: testEnv})
	New(stack, "Pipeline", &Props{Backfill: true})
	var tm template
	b, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tm); err != nil {
		t.Fatal(err)
	}
	_, sm := tm.one(t, "AWS::StepFunctions::StateMachine")
	writer, ok := state(t, asl(t, sm), BackfillMapName)["ResultWriter"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no ResultWriter: Step Functions would write no results", BackfillMapName)
	}
	jsonEq(t, "ResultWriter's prefix", writer["Parameters"].(map[string]any)["Prefix"], "backfill")
}

// checkBatchContract runs an execution's input through the Prepare and
// Process states' parameters, as Step Functions would, and decodes the
// batch a child workflow gets as the function does: the key names the
// state machine writes must be contract's.
func checkBatchContract(t *testing.T, prepare, process map[string]any, bucketRef string) {
	t.Helper()
	in, err := contract.NewBackfillInput("2025-03-30", "2025-04-02")
	if err != nil {
		t.Fatal(err)
	}
	var input map[string]any
	b, _ := json.Marshal(in)
	json.Unmarshal(b, &input)
	const key = "alb's/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2025/03/31/x.log.gz"
	mapInput := fillParameters(t, prepare["Parameters"], input, nil)
	item := map[string]any{"Key": key, "Size": 1234, "ETag": `"0"`}
	mapContext := map[string]any{"Map": map[string]any{"Item": map[string]any{"Index": 0, "Value": item}}}
	batchInput := fillParameters(t, process["ItemBatcher"].(map[string]any)["BatchInput"], mapInput, nil)
	if batchInput["bucket"] == bucketRef {
		batchInput["bucket"] = "my-log-bucket"
	}
	batch, _ := json.Marshal(map[string]any{
		"Items":      []any{fillParameters(t, process["ItemSelector"], mapInput, mapContext)},
		"BatchInput": batchInput,
	})

	var got contract.BackfillBatch
	dec := json.NewDecoder(bytes.NewReader(batch))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("a batch as the state machine builds it, %s: %v", batch, err)
	}
	if err := got.BatchInput.Validate(); err != nil {
		t.Errorf("a batch as the state machine builds it, %s: %v", batch, err)
	}
	if len(got.Items) != 1 || got.Items[0].Key != key || !got.BatchInput.Covers(key) || got.BatchInput.Bucket != "my-log-bucket" {
		t.Errorf("a batch as the state machine builds it, %s, decodes to %+v: want the key %s, covered, in my-log-bucket", batch, got, key)
	}
}

// fillParameters is what Step Functions makes of a state's Parameters,
// ItemSelector or BatchInput for input and the context object: a field
// whose name ends in ".$" takes the value at its path. Intrinsic
// functions are left as written.
func fillParameters(t *testing.T, parameters any, input, context map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	for name, value := range parameters.(map[string]any) {
		field, isPath := strings.CutSuffix(name, ".$")
		if !isPath {
			out[name] = value
			continue
		}
		path := value.(string)
		var v any
		switch {
		case strings.HasPrefix(path, "$$."):
			v = lookup(t, context, strings.TrimPrefix(path, "$$."))
		case strings.HasPrefix(path, "$."):
			v = lookup(t, input, strings.TrimPrefix(path, "$."))
		default:
			v = path
		}
		out[field] = v
	}
	return out
}

// lookup follows a dotted path of field names in v.
func lookup(t *testing.T, v map[string]any, path string) any {
	t.Helper()
	var cur any = v
	for name := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok || m[name] == nil {
			t.Fatalf("no %s in %v", path, v)
		}
		cur = m[name]
	}
	return cur
}
