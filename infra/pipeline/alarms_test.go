package pipeline

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/internal/handler"
)

// The heartbeat: the function's records of summarized log files counted
// over the period, an alarm below one, missing data counted as silence,
// sent where the other alarms go. It cannot count the function's
// invocations: the rollup schedule invokes it every hour, logs or not.
func TestHeartbeatAlarm(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:ops"
	tm := synthWith(t, nil, func(stack awscdk.Stack) *Props {
		return &Props{
			HeartbeatPeriod: 90 * time.Minute,
			AlarmTopic:      awssns.Topic_FromTopicArn(stack, jsii.String("Topic"), jsii.String(topic)),
		}
	}).template
	var heartbeat map[string]any
	for id, a := range tm.resources("AWS::CloudWatch::Alarm") {
		jsonEq(t, id+" actions", props(a)["AlarmActions"], []any{topic})
		if props(a)["Namespace"] == handler.MetricNamespace {
			heartbeat = props(a)
		}
	}
	if n := len(tm.resources("AWS::CloudWatch::Alarm")); n != 3 {
		t.Errorf("%d alarms, want 3", n)
	}
	if n := len(tm.resources("AWS::SNS::TopicPolicy")); n != 0 {
		t.Errorf("%d topic policies: the topic passed in is its owner's", n)
	}
	if heartbeat == nil {
		t.Fatalf("no alarm on the function's metrics (namespace %s)", handler.MetricNamespace)
	}
	delete(heartbeat, "AlarmDescription")
	jsonEq(t, "heartbeat alarm", heartbeat, map[string]any{
		"Namespace": handler.MetricNamespace, "MetricName": "Bytes", // one record per file, no dimensions
		"Statistic": "SampleCount", "Period": 5400, "EvaluationPeriods": 1,
		"Threshold": 1, "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
		"AlarmActions": []any{topic},
	})
}

// Without AlarmTopic, the alarms go to a topic of the construct's own,
// with nobody subscribed unless AlarmEmail says who: an alarm always has
// an action (AWS Control Tower's CT.CLOUDWATCH.PR.1), and subscribing
// later needs no deploy.
func TestAlarmsAlwaysHaveATopic(t *testing.T) {
	synthesized := synth(t, nil)
	tm := synthesized.template
	topicID, topic := tm.one(t, "AWS::SNS::Topic")
	if props(topic)["DisplayName"] != "pmdp alarms" {
		t.Errorf("topic %v", props(topic))
	}
	if n := len(tm.resources("AWS::SNS::Subscription")); n != 0 {
		t.Errorf("%d subscriptions without AlarmEmail, want 0", n)
	}
	alarms := tm.resources("AWS::CloudWatch::Alarm")
	if len(alarms) != 2 {
		t.Errorf("%d alarms, want 2", len(alarms))
	}
	for id, a := range alarms {
		jsonEq(t, id+" actions", props(a)["AlarmActions"], []any{ref(topicID)})
	}
	_, policy := tm.one(t, "AWS::SNS::TopicPolicy")
	jsonEq(t, "topic policy's topics", props(policy)["Topics"], []any{ref(topicID)})
	statements := props(policy)["PolicyDocument"].(map[string]any)["Statement"].([]any)
	if doc, _ := json.Marshal(statements); !strings.Contains(string(doc), `"aws:SecureTransport":"false"`) {
		t.Errorf("topic policy does not deny plain HTTP: %s", doc)
	}
	// The topic's policy replaces SNS's default one, which let the
	// account's alarms publish: it must say so itself.
	var allow []any
	for _, s := range statements {
		if s.(map[string]any)["Effect"] == "Allow" {
			allow = append(allow, s)
		}
	}
	jsonEq(t, "topic policy's allow statements", allow, []any{map[string]any{
		"Sid": "AllowAlarms", "Effect": "Allow", "Action": "sns:Publish", "Resource": ref(topicID),
		"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": "123456789012"},
			"ArnLike":      map[string]any{"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"},
		},
	}})
}
