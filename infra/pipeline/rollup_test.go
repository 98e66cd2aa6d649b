package pipeline

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRateExpression(t *testing.T) {
	tests := []struct {
		interval time.Duration
		want     string
	}{
		{5 * time.Minute, "rate(5 minutes)"},
		{time.Minute, "rate(1 minute)"},
		{90 * time.Minute, "rate(90 minutes)"},
		{time.Hour, "rate(1 hour)"},
		{2 * time.Hour, "rate(2 hours)"},
		{23 * time.Hour, "rate(23 hours)"},
		{24 * time.Hour, "rate(1 day)"},
		{48 * time.Hour, "rate(2 days)"},
	}
	for _, tt := range tests {
		t.Run(tt.interval.String(), func(t *testing.T) {
			if got := rateExpression(tt.interval); got != tt.want {
				t.Errorf("rateExpression(%v) = %q, want %q", tt.interval, got, tt.want)
			}
		})
	}
}

// The sweep: a schedule that invokes the function with the sweep event
// at the interval, on the minute, retrying until the next one is due and
// then sending the event to the failure queue; its role may do only that,
// and only schedules of this account may use it. The function is told
// the window and where the rollups go.
func TestRollupSchedule(t *testing.T) {
	tests := []struct {
		name             string
		props            *Props
		expression       string
		maxAge           int
		days, prefix     string
		scheduleDescribe string
	}{
		{"default", nil, "rate(1 hour)", 3600, "3", "rollups/", "pmdp: rebuild the daily rollups of the last 3 UTC dates"},
		{"every 15 minutes over a week", &Props{RollupInterval: 15 * time.Minute, RollupDays: 7, RollupPrefix: "daily/"},
			"rate(15 minutes)", 900, "7", "daily/", "pmdp: rebuild the daily rollups of the last 7 UTC dates"},
		{"daily", &Props{RollupInterval: 24 * time.Hour}, "rate(1 day)", 86400, "3", "rollups/", "pmdp: rebuild the daily rollups of the last 3 UTC dates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := synth(t, tt.props).template
			fnID, _ := tm.named(t, "AWS::Lambda::Function", "PipelineFunction")
			queue := idOf(tm, t, "AWS::SQS::Queue")
			roleID, role := tm.named(t, "AWS::IAM::Role", "PipelineRollupScheduleRole")
			_, schedule := tm.one(t, "AWS::Scheduler::Schedule")
			jsonEq(t, "schedule", props(schedule), map[string]any{
				"Description":        tt.scheduleDescribe,
				"ScheduleExpression": tt.expression,
				"FlexibleTimeWindow": map[string]any{"Mode": "OFF"},
				"State":              "ENABLED",
				"Target": map[string]any{
					"Arn":              arnOf(fnID),
					"RoleArn":          arnOf(roleID),
					"Input":            `{"pmdp":"rollup"}`,
					"RetryPolicy":      map[string]any{"MaximumEventAgeInSeconds": tt.maxAge, "MaximumRetryAttempts": 185},
					"DeadLetterConfig": map[string]any{"Arn": arnOf(queue)},
				},
			})
			policyID, _ := tm.named(t, "AWS::IAM::Policy", "PipelineRollupScheduleRole")
			jsonEq(t, "schedule created after its role's permissions", schedule["DependsOn"], []any{policyID, roleID})

			jsonEq(t, "schedule role trust", props(role)["AssumeRolePolicyDocument"], map[string]any{
				"Version": "2012-10-17",
				"Statement": []any{map[string]any{
					"Action": "sts:AssumeRole", "Effect": "Allow",
					"Principal": map[string]any{"Service": "scheduler.amazonaws.com"},
					"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}},
				}},
			})
			jsonEq(t, "schedule role statements", tm.statements(t, "PipelineRollupScheduleRole"), []any{
				map[string]any{"Sid": "InvokeFunction", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arnOf(fnID)},
				map[string]any{"Sid": "SendUndelivered", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arnOf(queue)},
			})

			vars := tm.function(t)["Environment"].(map[string]any)["Variables"].(map[string]any)
			if vars["PMDP_ROLLUP_DAYS"] != tt.days || vars["PMDP_ROLLUP_PREFIX"] != tt.prefix {
				env, _ := json.Marshal(vars)
				t.Errorf("environment %s, want PMDP_ROLLUP_DAYS=%s and PMDP_ROLLUP_PREFIX=%s", env, tt.days, tt.prefix)
			}
		})
	}
}
