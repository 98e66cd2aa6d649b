package pipeline

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// featureFlags are the feature flags aws-cdk-lib recommends for new
// projects (its recommended-feature-flags.json, copied from the version in
// go.mod; a test keeps the copy in step). They live in code, not only in
// cdk.json, because cdk.json reaches only the CDK CLI: tests and `go run`
// would otherwise build a different template.
//
//go:embed feature-flags.json
var featureFlags []byte

// FeatureFlags returns the context values that switch on the recommended
// feature flags.
func FeatureFlags() map[string]any {
	var flags map[string]any
	if err := json.Unmarshal(featureFlags, &flags); err != nil {
		panic(fmt.Sprintf("embedded feature-flags.json: %v", err)) // cannot happen: tested
	}
	return flags
}

// NewApp returns an App with the recommended feature flags, extraContext
// (whose values win over theirs), and cdk-nag's AwsSolutions checks, whose
// report goes into the output directory.
func NewApp(extraContext map[string]any, outdir string) awscdk.App {
	values := FeatureFlags()
	maps.Copy(values, extraContext)
	props := &awscdk.AppProps{Context: &values}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	app := awscdk.NewApp(props)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Reports: jsii.Bool(true), Verbose: jsii.Bool(true)}), nil)
	return app
}

// StackProps configures NewStack.
type StackProps struct {
	awscdk.StackProps
	Pipeline *Props
}

// NewStack is the stack `cdk deploy` deploys: one Pipeline and the
// outputs people need, the collector URL first.
func NewStack(scope constructs.Construct, id string, props *StackProps) awscdk.Stack {
	var sp awscdk.StackProps
	var pp *Props
	if props != nil {
		sp, pp = props.StackProps, props.Pipeline
	}
	if sp.Description == nil {
		sp.Description = jsii.String("pmdp: the poor man's data pipeline (ALB access logs to event counts)")
	}
	stack := awscdk.NewStack(scope, &id, &sp)
	p := New(stack, "Pipeline", pp)
	output := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	output("CollectorUrl", "Send events here, e.g. curl '<url>?ev=signup&uid=42'", p.CollectorURL())
	output("LoadBalancerDnsName", "The load balancer's own name: a CNAME target for a domain whose DNS is outside Route 53", p.LoadBalancer().LoadBalancerDnsName())
	output("LogBucketName", "Bucket receiving the access logs", p.LogBucket().BucketName())
	output("SummaryBucketName", "Bucket receiving the summaries, under "+p.SummaryPrefix(), p.SummaryBucket().BucketName())
	output("FunctionName", "Function summarizing each log file and sweeping the daily rollups", p.Function().FunctionName())
	output("FailureQueueUrl", "Events the function failed on after its retries", p.FailureQueue().QueueUrl())
	output("AlarmTopicArn", "The alarms go to this SNS topic: subscribe to it to hear of them", p.AlarmTopic().TopicArn())
	output("RollupPrefix", "Where the daily rollups are, in the summary bucket", jsii.String(p.RollupPrefix()))
	if p.RollupTable() != nil {
		output("AthenaDatabase", "Glue database of the rollups table", p.AthenaDatabase().Ref())
		output("AthenaTable", "Table over the daily rollups, partitioned by dt (YYYY-MM-DD)", jsii.String(RollupTableName))
		output("AthenaWorkGroup", "Athena workgroup to query in (results, engine and scan limit enforced)", p.AthenaWorkGroup().Ref())
	}
	if m := p.BackfillStateMachine(); m != nil {
		output("BackfillStateMachineArn", "State machine that reprocesses a range of dates (pmdp backfill starts it)", m.StateMachineArn())
	}
	suppressNotificationHandler(stack)
	return stack
}
