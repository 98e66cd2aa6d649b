package pipeline_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/infra/pipeline"
)

// The pipeline inside a larger stack: summaries go to a bucket the stack
// already has, grouped by date and the ev query parameter, and alarms
// mail the team. (Compiled, not run: synthesizing builds the function.)
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Analytics"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}, // access logging needs a region
	})
	reports := awss3.NewBucket(stack, jsii.String("Reports"), &awss3.BucketProps{
		Encryption: awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL: jsii.Bool(true),
	})
	events := pipeline.New(stack, "Events", &pipeline.Props{
		SummaryBucket: reports,
		GroupBy:       "date,query:ev",
		AlarmEmail:    "ops@example.com",
	})
	awscdk.NewCfnOutput(stack, jsii.String("CollectorUrl"), &awscdk.CfnOutputProps{Value: events.CollectorURL()})
	app.Synth(nil)
}
