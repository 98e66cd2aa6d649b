package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The check every synth in these tests runs sees what cdk-nag reports, at
// both levels: the template never shows a warning, so without the check
// one would pass unnoticed. (That every stack the construct builds passes
// it is tested by the template tests, which all synthesize through it.)
func TestUnexplainedFindingsAreSeen(t *testing.T) {
	tests := []struct {
		name  string
		build func(stack awscdk.Stack)
		rule  string // the finding the check must report; "" for none
		fatal bool   // an error, which fails synthesis on its own
	}{
		{"nothing to find", func(stack awscdk.Stack) {
			awscdk.NewCfnWaitConditionHandle(stack, jsii.String("Nothing"), nil) // a stack needs a resource
		}, "", false},
		{"warning: a network ACL", func(stack awscdk.Stack) {
			vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("Vpc"), &awsec2.VpcAttributes{
				VpcId:             jsii.String("vpc-0123456789abcdef0"),
				AvailabilityZones: jsii.Strings("us-east-1a"),
			})
			awsec2.NewNetworkAcl(stack, jsii.String("Acl"), &awsec2.NetworkAclProps{Vpc: vpc})
		}, "AwsSolutions-VPC3", false},
		{"error: a queue without a dead-letter queue", func(stack awscdk.Stack) {
			awssqs.NewQueue(stack, jsii.String("Queue"), &awssqs.QueueProps{EnforceSSL: jsii.Bool(true)})
		}, "AwsSolutions-SQS3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outdir := t.TempDir()
			stack := awscdk.NewStack(NewApp(nil, outdir), jsii.String("Test"), &awscdk.StackProps{Env: testEnv})
			tt.build(stack)
			err := unexplainedFindings(stack)
			if tt.rule == "" {
				if err != nil {
					t.Errorf("unexplainedFindings = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("unexplainedFindings = nil, want an error for %s", tt.rule)
			}
			// A warning is named in the error. An error fails synthesis
			// first, and the validation report names it.
			named := err.Error()
			if tt.fatal {
				report, _ := os.ReadFile(filepath.Join(outdir, "validation-report.json"))
				named = string(report)
			}
			if !strings.Contains(named, tt.rule) {
				t.Errorf("unexplainedFindings = %v, want %s named", err, tt.rule)
			}
		})
	}
}

// The check every synth in these tests runs sees a suppression that
// explains nothing, whole or in one of its parts.
func TestUnmatchedSuppressionsAreSeen(t *testing.T) {
	tests := []struct {
		name    string
		build   func(stack awscdk.Stack)
		wantErr string // "" for none
	}{
		{"a suppression that explains a finding", func(stack awscdk.Stack) {
			q := awssqs.NewQueue(stack, jsii.String("Queue"), &awssqs.QueueProps{EnforceSSL: jsii.Bool(true)})
			suppress(q, "AwsSolutions-SQS3", "the queue is the test")
		}, ""},
		{"a suppression of a rule that found nothing", func(stack awscdk.Stack) {
			q := awssqs.NewQueue(stack, jsii.String("Queue"), &awssqs.QueueProps{EnforceSSL: jsii.Bool(true)})
			suppress(q, "AwsSolutions-SQS3", "the queue is the test")
			suppress(q, "AwsSolutions-SQS4", "nothing to explain here")
		}, `AwsSolutions-SQS4 ("nothing to explain here") matches no finding`},
		{"a part that is not in the finding", func(stack awscdk.Stack) {
			role := awsiam.NewRole(stack, jsii.String("Role"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
			role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("s3:GetObject"), Resources: jsii.Strings("arn:aws:s3:::b/used/*"),
			}))
			cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
				Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("two parts, one in use"),
				AppliesTo: &[]any{"Resource::arn:aws:s3:::b/used/*", "Resource::arn:aws:s3:::b/unused/*"},
			}}, jsii.Bool(true))
		}, `AwsSolutions-IAM5[Resource::arn:aws:s3:::b/unused/*] ("two parts, one in use") matches no finding`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := awscdk.NewStack(NewApp(nil, t.TempDir()), jsii.String("Test"), &awscdk.StackProps{Env: testEnv})
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("building or synthesizing panicked: %v", r)
					}
				}()
				tt.build(stack)
				assertions.Template_FromStack(stack, nil)
			}()
			err := unmatchedSuppressions(stack)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unmatchedSuppressions = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("unmatchedSuppressions = %v, want an error with %s", err, tt.wantErr)
			case tt.wantErr != "" && strings.Contains(err.Error(), "b/used/"):
				t.Errorf("unmatchedSuppressions = %v: the part in use is reported too", err)
			}
		})
	}
}
