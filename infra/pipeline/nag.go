package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// explainFindings records why each AwsSolutions finding on what New built
// is accepted; cdk-nag fails synthesis on a finding left unexplained.
// Resources passed in through Props are the caller's to explain.
func (pl *Pipeline) explainFindings() {
	p := pl.props
	if p.Vpc == nil {
		suppress(pl.vpc, "AwsSolutions-VPC7", "The VPC holds only the load balancer, which has no targets; its access logs record every request, so flow logs would only add cost.")
	}
	if p.LogBucket == nil {
		suppress(pl.logBucket, "AwsSolutions-S1", "This bucket holds access logs; logging access to it would need yet another bucket and its own logs, for no reader.")
	}
	suppress(pl.securityGroup, "AwsSolutions-EC23", "The collector is a public endpoint: browsers and apps everywhere send it events.")

	stack := awscdk.Stack_Of(pl.Construct)
	cdknag.NagSuppressions_AddResourceSuppressions(pl.role, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Object-level wildcards are confined to the log prefix (read), and the summary and rollup prefixes (read and write)."),
		AppliesTo: &[]any{
			nagResource(stack, pl.logBucket.BucketArn(), "/"+pl.logKeyPrefix+"*"),
			nagResource(stack, pl.summaryBucket.BucketArn(), "/"+p.SummaryPrefix+"*"),
			nagResource(stack, pl.summaryBucket.BucketArn(), "/"+p.RollupPrefix+"*"),
		},
	}}, jsii.Bool(true)) // the role's default policy holds the statements

	if pl.athenaResults != nil {
		suppress(pl.athenaResults, "AwsSolutions-S1", "This bucket holds only Athena query results, which expire after a week; CloudTrail already records who ran which query (StartQueryExecution), and logging access here would need yet another bucket.")
	}
	suppress(pl.failureQueue, "AwsSolutions-SQS3", "This queue is itself the function's failure destination; an alarm watches it and nothing consumes it automatically.")
}

// suppress explains one finding on one resource, not on its children.
func suppress(resource constructs.IConstruct, rule, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(resource, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String(rule),
		Reason: jsii.String(reason),
	}}, jsii.Bool(false))
}

// nagResource writes a resource ARN with suffix the way cdk-nag names it
// in findings: <LogicalId.Arn> for a resource of this stack, the ARN
// itself for an imported one, tokens such as <AWS::AccountId> in place.
func nagResource(stack awscdk.Stack, arn *string, suffix string) string {
	return "Resource::" + nagText(stack.Resolve(arn)) + suffix
}

// nagText writes a resolved value the way cdk-nag names it in findings:
// references as <AWS::AccountId> or <LogicalId.Attribute>, joins
// concatenated.
func nagText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if r, ok := v["Ref"]; ok {
			return fmt.Sprintf("<%v>", r)
		}
		if ga, ok := v["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			return fmt.Sprintf("<%v.%v>", ga[0], ga[1])
		}
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 {
			if joined, ok := j[1].([]any); ok {
				var parts []string
				for _, p := range joined {
					parts = append(parts, nagText(p))
				}
				return strings.Join(parts, fmt.Sprint(j[0]))
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// suppressNotificationHandler explains the findings on the function CDK
// itself adds to manage bucket notifications. That function belongs to the
// stack, not to the pipeline, and exists only once a notification does, so
// the stack calls this after building everything.
func suppressNotificationHandler(stack awscdk.Stack) {
	path := *stack.Node().Path() + "/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role"
	if stack.Node().TryFindChild(jsii.String("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")) == nil {
		return
	}
	cdknag.NagSuppressions_AddResourceSuppressionsByPath(stack, jsii.String(path), &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM4"),
		Reason:    jsii.String("CDK's own bucket-notification handler uses the basic execution role to write its logs."),
		AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
	}}, jsii.Bool(true))
}
