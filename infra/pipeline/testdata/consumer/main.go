// Command consumer is another team's CDK app that imports the pmdp
// construct into a larger stack, as a test that reuse from another module
// works, the function's code included.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/infra/pipeline"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil) // the CLI's CDK_OUTDIR, or the test's
	stack := awscdk.NewStack(app, jsii.String("Analytics"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("eu-central-1")},
	})
	// The team's own resources, which the pipeline writes into.
	summaries := awss3.NewBucket(stack, jsii.String("Summaries"), &awss3.BucketProps{
		Encryption: awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL: jsii.Bool(true),
	})
	alarms := awssns.NewTopic(stack, jsii.String("Alarms"), nil)

	p := pipeline.New(stack, "Events", &pipeline.Props{
		SummaryBucket: summaries,
		SummaryPrefix: "events/",
		GroupBy:       "date,query:ev",
		AlarmTopic:    alarms,
	})
	awscdk.NewCfnOutput(stack, jsii.String("Collector"), &awscdk.CfnOutputProps{Value: p.CollectorURL()})
	app.Synth(nil)
}
