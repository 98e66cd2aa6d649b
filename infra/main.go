// Command infra is the CDK app: `cdk synth` and `cdk deploy` run it
// (see cdk.json). It deploys one stack, Pmdp, in the region from
// CDK_DEFAULT_REGION or `--context region=…` (default us-east-1; load
// balancer access logging needs a concrete region).
//
// CDK context configures the pipeline: `-c groupBy=date,query:ev` sets
// Props.GroupBy, and so on for every prop that holds text, a number, a
// boolean or a duration (pipeline.PropsFromContext; the README lists the
// keys).
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/infra/pipeline"
)

// DefaultRegion is used when neither the CLI nor the context names one.
const DefaultRegion = "us-east-1"

func main() {
	os.Exit(run())
}

func run() int {
	defer jsii.Close()
	// The CLI says where to write through CDK_OUTDIR; `go run ./infra`
	// alone writes to cdk.out like the CLI would.
	outdir := ""
	if os.Getenv("CDK_OUTDIR") == "" {
		outdir = "cdk.out"
	}
	app := pipeline.NewApp(nil, outdir)
	region := DefaultRegion
	if r, ok := app.Node().TryGetContext(jsii.String("region")).(string); ok && r != "" {
		region = r
	} else if r := os.Getenv("CDK_DEFAULT_REGION"); r != "" {
		region = r
	}
	env := &awscdk.Environment{Region: jsii.String(region)}
	if account := os.Getenv("CDK_DEFAULT_ACCOUNT"); account != "" {
		env.Account = jsii.String(account)
	}

	context, _ := app.Node().GetAllContext(nil).(map[string]any)
	props, err := pipeline.PropsFromContext(context)
	if err == nil {
		err = props.Validate()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pmdp: invalid settings (the context key of a prop is its name in lowerCamelCase: GroupBy is groupBy):\n%v\n", err)
		return 2
	}
	pipeline.NewStack(app, "Pmdp", &pipeline.StackProps{StackProps: awscdk.StackProps{Env: env}, Pipeline: props})
	app.Synth(nil)
	return 0
}
