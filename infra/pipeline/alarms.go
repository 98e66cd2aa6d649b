package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"
)

// The function's embedded metrics: one record per log file summarized,
// in a namespace without dimensions.
const (
	metricNamespace  = "pmdp"
	summarizedMetric = "Bytes" // each record has it
)

// alarms watches the failure queue, the function's errors and, with
// HeartbeatPeriod, the function's silence, and sends the alarms to the
// given topic or to a new one, which mails AlarmEmail if given. An alarm
// always has a topic to go to, so that subscribing to it later is all it
// takes to hear of it; a topic costs nothing until it delivers.
func (pl *Pipeline) alarms() {
	p := pl.props
	pl.alarmTopic = p.AlarmTopic
	if pl.alarmTopic == nil {
		topic := awssns.NewTopic(pl.Construct, jsii.String("AlarmTopic"), &awssns.TopicProps{
			DisplayName: jsii.String("pmdp alarms"),
			EnforceSSL:  jsii.Bool(true),
		})
		allowAlarms(topic)
		if p.AlarmEmail != "" {
			topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(p.AlarmEmail), nil))
		}
		pl.alarmTopic = topic
	}

	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarms := []awscloudwatch.Alarm{
		pl.anyAlarm("FailureQueueAlarm",
			"pmdp: a log file could not be summarized, or the rollups could not be swept, after the retries; the event is in the failure queue.",
			pl.failureQueue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
				Period: five, Statistic: jsii.String("Maximum"),
			})),
		pl.anyAlarm("FunctionErrorAlarm",
			"pmdp: the function failed on a log file or a rollup sweep (Lambda will retry it).",
			pl.function.MetricErrors(&awscloudwatch.MetricOptions{
				Period: five, Statistic: jsii.String("Sum"),
			})),
	}
	if p.HeartbeatPeriod > 0 {
		alarms = append(alarms, pl.heartbeat())
	}
	for _, a := range alarms {
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(pl.alarmTopic))
	}
}

// allowAlarms lets this account's CloudWatch alarms publish to topic.
// EnforceSSL gives the topic a policy of its own, which replaces SNS's
// default one, the one that let the account's alarms publish: without
// this statement, every alarm action would fail.
func allowAlarms(topic awssns.Topic) {
	stack := awscdk.Stack_Of(topic)
	alarms := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"),
		ResourceName: jsii.String("*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike":      map[string]any{"aws:SourceArn": alarms},
		},
	}))
}

// anyAlarm fires when metric is 1 or more in a period; a period with no
// data is none.
func (pl *Pipeline) anyAlarm(id, description string, metric awscloudwatch.IMetric) awscloudwatch.Alarm {
	return awscloudwatch.NewAlarm(pl.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// heartbeat fires when no log file was summarized for HeartbeatPeriod. A
// load balancer delivers a file per node every five minutes while
// requests come in, so silence means no requests or no delivery; the load
// balancer's RequestCount tells which. The function's own invocations
// cannot tell: the rollup schedule invokes it whether logs come or not.
// So the alarm counts the metric records the function writes for each
// file it summarizes. A period with no data at all is that same silence,
// hence breaching.
func (pl *Pipeline) heartbeat() awscloudwatch.Alarm {
	period := pl.props.HeartbeatPeriod
	return awscloudwatch.NewAlarm(pl.Construct, jsii.String("HeartbeatAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(fmt.Sprintf("pmdp: no access log was summarized for %d minutes: no requests reached the load balancer, or its logs stopped arriving (compare its RequestCount).", int(period.Minutes()))),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:  jsii.String(metricNamespace),
			MetricName: jsii.String(summarizedMetric),
			Period:     awscdk.Duration_Minutes(jsii.Number(period.Minutes())),
			Statistic:  jsii.String("SampleCount"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
}
