package pipeline

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/internal/contract"
)

// SweepEvent is what the schedule invokes the function with: rebuild the
// daily rollups of the last RollupDays UTC dates (and, with PublishReport,
// publish the report).
const SweepEvent = contract.ScheduledSweep

// maxScheduleRetries is EventBridge Scheduler's most: the schedule
// retries as long as the event age allows.
const maxScheduleRetries = 185

// rollupSchedule invokes the function with SweepEvent every
// RollupInterval, on the minute (no flexible window: the function's
// at-once rollups assume the sweeps keep their pace). The invocation is
// asynchronous, so a failing sweep is retried by Lambda and then goes to
// the failure queue like a log file's event; an invocation the schedule
// cannot make (throttled, denied) goes there too, once the next sweep is
// due.
func (pl *Pipeline) rollupSchedule() {
	p := pl.props
	role := awsiam.NewRole(pl.Construct, jsii.String("RollupScheduleRole"), &awsiam.RoleProps{
		// Only schedules of this account may use the role.
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
		Description: jsii.String("pmdp rollup schedule: invoke the function, or send the event to its failure queue"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeFunction"),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: jsii.Strings(*pl.function.FunctionArn()),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SendUndelivered"),
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: jsii.Strings(*pl.failureQueue.QueueArn()),
	}))
	maxAge := min(p.RollupInterval, MaxRollupInterval)
	schedule := awsscheduler.NewCfnSchedule(pl.Construct, jsii.String("RollupSchedule"), &awsscheduler.CfnScheduleProps{
		Description:        jsii.String(fmt.Sprintf("pmdp: rebuild the daily rollups of the last %d UTC dates", p.RollupDays)),
		ScheduleExpression: jsii.String(rateExpression(p.RollupInterval)),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:              jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     pl.function.FunctionArn(),
			RoleArn: role.RoleArn(),
			Input:   jsii.String(SweepEvent),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				// A sweep delivered after the next is due would only
				// repeat it.
				MaximumEventAgeInSeconds: jsii.Number(maxAge.Seconds()),
				MaximumRetryAttempts:     jsii.Number(maxScheduleRetries),
			},
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: pl.failureQueue.QueueArn()},
		},
	})
	// The role's permissions (its default policy) exist before the first
	// invocation.
	schedule.Node().AddDependency(role)
	pl.rollupScheduleRole, pl.schedule = role, schedule
}

// rateExpression is EventBridge Scheduler's rate expression for d, whole
// minutes: in days, hours or minutes, whichever divides it, the unit
// singular for 1.
func rateExpression(d time.Duration) string {
	n, unit := int64(d/time.Minute), "minute"
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("rate(%d %s)", n, unit)
}
