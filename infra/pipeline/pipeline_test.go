package pipeline

// Template tests of the construct: what New builds for each kind of props.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
)

// oldVersionsRule is the lifecycle rule of every versioned bucket the
// construct creates: what an overwrite, a deletion or an expiry leaves
// behind goes a week later, the delete markers after it.
var oldVersionsRule = map[string]any{
	"Id": "ExpireOldVersions", "Status": "Enabled", "ExpiredObjectDeleteMarker": true,
	"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 7},
}

func TestDefaultStack(t *testing.T) {
	tm := synth(t, nil).template

	t.Run("network: two public subnets that give out no addresses, no NAT, no targets", func(t *testing.T) {
		if n := len(tm.resources("AWS::EC2::NatGateway")); n != 0 {
			t.Errorf("%d NAT gateways", n)
		}
		if n := len(tm.resources("AWS::ElasticLoadBalancingV2::TargetGroup")); n != 0 {
			t.Errorf("%d target groups", n)
		}
		subnets := tm.resources("AWS::EC2::Subnet")
		if len(subnets) != 2 {
			t.Errorf("%d subnets, want 2", len(subnets))
		}
		// Public: routed to the internet gateway. Nothing launched there
		// gets a public address by default (AWS Control Tower's
		// CT.EC2.PR.11); the load balancer gets its own regardless.
		toGateway := map[string]bool{}
		for _, r := range tm.resources("AWS::EC2::Route") {
			if props(r)["DestinationCidrBlock"] == "0.0.0.0/0" && props(r)["GatewayId"] != nil {
				toGateway[props(r)["RouteTableId"].(map[string]any)["Ref"].(string)] = true
			}
		}
		for _, a := range tm.resources("AWS::EC2::SubnetRouteTableAssociation") {
			subnet := props(a)["SubnetId"].(map[string]any)["Ref"].(string)
			if !toGateway[props(a)["RouteTableId"].(map[string]any)["Ref"].(string)] {
				t.Errorf("subnet %s has no route to the internet gateway", subnet)
			}
			delete(subnets, subnet)
		}
		for id := range subnets {
			t.Errorf("subnet %s has no route table", id)
		}
		for id, s := range tm.resources("AWS::EC2::Subnet") {
			if props(s)["MapPublicIpOnLaunch"] != false {
				t.Errorf("subnet %s: MapPublicIpOnLaunch %v, want false", id, props(s)["MapPublicIpOnLaunch"])
			}
		}
		_, sg := tm.one(t, "AWS::EC2::SecurityGroup")
		jsonEq(t, "security group egress (none: a dummy rule that matches nothing)", props(sg)["SecurityGroupEgress"], []any{map[string]any{
			"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86,
		}})
	})

	t.Run("collector: internet-facing ALB, fixed 204", func(t *testing.T) {
		_, lb := tm.one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		p := props(lb)
		if p["Scheme"] != "internet-facing" || p["Type"] != "application" {
			t.Errorf("load balancer %v", p)
		}
		attrs := map[string]any{}
		for _, a := range p["LoadBalancerAttributes"].([]any) {
			kv := a.(map[string]any)
			attrs[kv["Key"].(string)] = kv["Value"]
		}
		want := map[string]any{
			"deletion_protection.enabled":                     "false",
			"routing.http.drop_invalid_header_fields.enabled": "true",
			"routing.http.desync_mitigation_mode":             "defensive",
			"idle_timeout.timeout_seconds":                    "60",
			"access_logs.s3.enabled":                          "true",
			"access_logs.s3.prefix":                           "logs",
		}
		for k, v := range want {
			if attrs[k] != v {
				t.Errorf("attribute %s = %v, want %v", k, attrs[k], v)
			}
		}
		_, l := tm.one(t, "AWS::ElasticLoadBalancingV2::Listener")
		jsonEq(t, "HTTP listener", map[string]any{"Port": props(l)["Port"], "Protocol": props(l)["Protocol"], "DefaultActions": props(l)["DefaultActions"]},
			map[string]any{"Port": 80, "Protocol": "HTTP", "DefaultActions": []any{map[string]any{
				"Type": "fixed-response", "FixedResponseConfig": map[string]any{"StatusCode": "204", "ContentType": "text/plain"},
			}}})
	})

	t.Run("log bucket: SSE-S3, private, TLS only, expiring raw logs, versions kept a week, retained", func(t *testing.T) {
		id, b := tm.named(t, "AWS::S3::Bucket", "PipelineLogBucket")
		p := props(b)
		jsonEq(t, "encryption", p["BucketEncryption"], map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}})
		jsonEq(t, "public access block", p["PublicAccessBlockConfiguration"], map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		})
		jsonEq(t, "versioning", p["VersioningConfiguration"], map[string]any{"Status": "Enabled"})
		jsonEq(t, "lifecycle", p["LifecycleConfiguration"], map[string]any{"Rules": []any{map[string]any{
			"Id": "ExpireRawLogs", "Prefix": "logs/AWSLogs/", "ExpirationInDays": 90, "Status": "Enabled",
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1},
		}, oldVersionsRule}})
		if b["DeletionPolicy"] != "Retain" || b["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("deletion policy %v / %v, want Retain", b["DeletionPolicy"], b["UpdateReplacePolicy"])
		}
		_, pol := tm.named(t, "AWS::S3::BucketPolicy", "PipelineLogBucket")
		doc, _ := json.Marshal(props(pol)["PolicyDocument"])
		for _, want := range []string{`"aws:SecureTransport":"false"`, `"Effect":"Deny"`, "127311923021", `"s3:PutObject"`} {
			if !strings.Contains(string(doc), want) {
				t.Errorf("bucket policy lacks %s: %s", want, doc)
			}
		}
		if !strings.Contains(string(doc), id) {
			t.Errorf("bucket policy does not name the bucket")
		}
	})

	t.Run("function: provided.al2023 on arm64, configured", func(t *testing.T) {
		fn := tm.function(t)
		jsonEq(t, "function", map[string]any{
			"Runtime": fn["Runtime"], "Architectures": fn["Architectures"], "MemorySize": fn["MemorySize"],
			"Timeout": fn["Timeout"], "Environment": fn["Environment"], "RecursiveLoop": fn["RecursiveLoop"],
		}, map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "MemorySize": 1024, "Timeout": 300,
			"RecursiveLoop": "Terminate",
			"Environment": map[string]any{"Variables": map[string]any{
				"PMDP_SUMMARY_BUCKET": ref(logBucketID(tm, t)), "PMDP_SUMMARY_PREFIX": "summaries/",
				"PMDP_GROUP_BY": "date,path", "PMDP_FORMAT": "csv",
				"PMDP_ROLLUP_PREFIX": "rollups/", "PMDP_ROLLUP_DAYS": "3", "PMDP_MAX_GROUPS": "100000",
			}},
		})
		if _, ok := fn["ReservedConcurrentExecutions"]; ok {
			t.Error("reserved concurrency set by default")
		}
		_, lg := tm.one(t, "AWS::Logs::LogGroup")
		if props(lg)["RetentionInDays"] != 30.0 {
			t.Errorf("log retention %v, want 30", props(lg)["RetentionInDays"])
		}
	})

	t.Run("failures: retries, event age, encrypted TLS-only queue, alarms", func(t *testing.T) {
		queueID, q := tm.one(t, "AWS::SQS::Queue")
		jsonEq(t, "queue", props(q), map[string]any{"SqsManagedSseEnabled": true, "MessageRetentionPeriod": 1209600})
		_, qp := tm.one(t, "AWS::SQS::QueuePolicy")
		if doc, _ := json.Marshal(props(qp)); !strings.Contains(string(doc), `"aws:SecureTransport":"false"`) {
			t.Errorf("queue policy does not deny plain HTTP: %s", doc)
		}
		_, cfg := tm.one(t, "AWS::Lambda::EventInvokeConfig")
		p := props(cfg)
		jsonEq(t, "async config", map[string]any{"MaximumRetryAttempts": p["MaximumRetryAttempts"], "MaximumEventAgeInSeconds": p["MaximumEventAgeInSeconds"], "DestinationConfig": p["DestinationConfig"]},
			map[string]any{"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600,
				"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": arnOf(queueID)}}})
		alarms := tm.resources("AWS::CloudWatch::Alarm")
		if len(alarms) != 2 {
			t.Fatalf("%d alarms, want 2", len(alarms))
		}
		metrics := map[string]bool{}
		for _, a := range alarms {
			p := props(a)
			metrics[p["MetricName"].(string)] = true
			if p["Threshold"] != 1.0 || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["TreatMissingData"] != "notBreaching" {
				t.Errorf("alarm %v", p)
			}
			jsonEq(t, "alarm actions (the construct's own topic)", p["AlarmActions"], []any{ref(idOf(tm, t, "AWS::SNS::Topic"))})
		}
		if !metrics["ApproximateNumberOfMessagesVisible"] || !metrics["Errors"] {
			t.Errorf("alarm metrics %v", metrics)
		}
	})

	t.Run("least privilege: the exact statements", func(t *testing.T) {
		bucket := logBucketID(tm, t)
		logGroup := idOf(tm, t, "AWS::Logs::LogGroup")
		queue := idOf(tm, t, "AWS::SQS::Queue")
		statements := tm.statements(t, "PipelineFunctionRole")
		objects := func(prefix string) map[string]any {
			return map[string]any{"Fn::Join": []any{"", []any{arnOf(bucket), "/" + prefix}}}
		}
		jsonEq(t, "function role statements", statements, []any{
			map[string]any{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": arnOf(logGroup)},
			map[string]any{"Sid": "ReadAccessLogs", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects("logs/AWSLogs/*")},
			// Unconditioned: S3 checks it within GetObject, which has no
			// s3:prefix, to answer 404 rather than 403 for a deleted log
			// or a rollup not yet written. It also lists the summaries of
			// a date for its rollup.
			map[string]any{"Sid": "SeeMissingAccessLogs", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arnOf(bucket)},
			// Summaries written, and read back for the rollups; rollups
			// read and written (a conditional write needs the read).
			map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject", "s3:PutObject"}, "Resource": []any{objects("rollups/*"), objects("summaries/*")}},
			map[string]any{"Effect": "Allow", "Action": []any{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"}, "Resource": arnOf(queue)},
		})
	})

	t.Run("notification: log prefix and .log.gz only, never a summary", func(t *testing.T) {
		_, n := tm.one(t, "Custom::S3BucketNotifications")
		cfgs := props(n)["NotificationConfiguration"].(map[string]any)["LambdaFunctionConfigurations"].([]any)
		if len(cfgs) != 1 {
			t.Fatalf("%d notification configurations", len(cfgs))
		}
		c := cfgs[0].(map[string]any)
		if !reflect.DeepEqual(c["Events"], []any{"s3:ObjectCreated:*"}) {
			t.Errorf("events %v", c["Events"])
		}
		f := contract.Filter{}
		for _, r := range c["Filter"].(map[string]any)["Key"].(map[string]any)["FilterRules"].([]any) {
			rule := r.(map[string]any)
			switch rule["Name"] {
			case "prefix":
				f.Prefix = rule["Value"].(string)
			case "suffix":
				f.Suffix = rule["Value"].(string)
			}
		}
		if f != contract.NotificationFilter("logs") {
			t.Fatalf("filter %+v, want the shared definition %+v", f, contract.NotificationFilter("logs"))
		}
		// Every summary the function can write, for every date and source
		// name shape and both formats, is outside the deployed filter.
		cfg := process.DefaultConfig()
		for _, format := range []summary.Format{summary.CSV, summary.JSONL} {
			cfg.Format = format
			for _, src := range []string{
				"logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/123456789012_elasticloadbalancing_us-east-1_app.pmdp.1_20261126T0005Z_10.0.0.1_a.log.gz",
				"logs/AWSLogs/x.log", "x.log.gz.log.gz", "AWSLogs/", "",
			} {
				for _, date := range []string{"2026-11-26", "1970-01-01"} {
					if k := cfg.SummaryKey(src, date); f.Matches(k) {
						t.Errorf("summary key %q matches the notification filter", k)
					}
				}
			}
		}
	})
}

func TestHTTPSAndOptions(t *testing.T) {
	tm := synth(t, &Props{
		DomainName: "collector.example.com", CertificateArn: testCert, RedirectHTTPToHTTPS: true,
		FixedResponseStatus: 200, FixedResponseContentType: "application/json", FixedResponseBody: `{"ok":true}`,
		AllowInvalidHeaderFields: true, DesyncMitigationMode: "strictest", DeletionProtection: true,
		IdleTimeout: 30e9, LogPrefix: "alb", RawLogExpirationDays: 7, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		SummaryPrefix: "counts/", GroupBy: "hour,query:ev", Format: "jsonl", FunctionMemoryMB: 256,
		FunctionTimeout: 60e9, ReservedConcurrency: 3, AlarmEmail: "ops@example.com",
		Include: "method=GET", Exclude: "method=HEAD", ExcludeBots: true, MaxGroups: 5000, Distinct: "query:uid",
	}).template
	listeners := map[float64]map[string]any{}
	for _, l := range tm.resources("AWS::ElasticLoadBalancingV2::Listener") {
		listeners[props(l)["Port"].(float64)] = props(l)
	}
	if len(listeners) != 2 {
		t.Fatalf("%d listeners, want 2", len(listeners))
	}
	jsonEq(t, "HTTP redirects, keeping host, path and query", listeners[80]["DefaultActions"], []any{map[string]any{"Type": "redirect",
		"RedirectConfig": map[string]any{"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}", "StatusCode": "HTTP_301"}}})
	https := listeners[443]
	jsonEq(t, "HTTPS listener", map[string]any{"Protocol": https["Protocol"], "SslPolicy": https["SslPolicy"], "Certificates": https["Certificates"], "DefaultActions": https["DefaultActions"]},
		map[string]any{"Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
			"Certificates": []any{map[string]any{"CertificateArn": testCert}},
			"DefaultActions": []any{map[string]any{"Type": "fixed-response",
				"FixedResponseConfig": map[string]any{"StatusCode": "200", "ContentType": "application/json", "MessageBody": `{"ok":true}`}}}})

	_, lb := tm.one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	attrs, _ := json.Marshal(props(lb)["LoadBalancerAttributes"])
	for _, want := range []string{
		`{"Key":"deletion_protection.enabled","Value":"true"}`,
		`{"Key":"routing.http.drop_invalid_header_fields.enabled","Value":"false"}`,
		`{"Key":"routing.http.desync_mitigation_mode","Value":"strictest"}`,
		`{"Key":"idle_timeout.timeout_seconds","Value":"30"}`,
		`{"Key":"access_logs.s3.prefix","Value":"alb"}`,
	} {
		if !strings.Contains(string(attrs), want) {
			t.Errorf("attributes lack %s: %s", want, attrs)
		}
	}
	_, b := tm.named(t, "AWS::S3::Bucket", "PipelineLogBucket")
	if b["DeletionPolicy"] != "Delete" {
		t.Errorf("deletion policy %v", b["DeletionPolicy"])
	}
	rules, _ := json.Marshal(props(b)["LifecycleConfiguration"])
	if !strings.Contains(string(rules), `"ExpirationInDays":7`) || !strings.Contains(string(rules), `"Prefix":"alb/AWSLogs/"`) {
		t.Errorf("lifecycle %s", rules)
	}
	fn := tm.function(t)
	env, _ := json.Marshal(fn["Environment"])
	for _, want := range []string{`"PMDP_SUMMARY_PREFIX":"counts/"`, `"PMDP_GROUP_BY":"hour,query:ev"`, `"PMDP_FORMAT":"jsonl"`,
		`"PMDP_INCLUDE":"method=GET"`, `"PMDP_EXCLUDE":"method=HEAD;bot=yes;action=redirect"`, `"PMDP_MAX_GROUPS":"5000"`, `"PMDP_DISTINCT":"query:uid"`} { // the redirect counted once
		if !strings.Contains(string(env), want) {
			t.Errorf("environment lacks %s: %s", want, env)
		}
	}
	if fn["MemorySize"] != 256.0 || fn["Timeout"] != 60.0 || fn["ReservedConcurrentExecutions"] != 3.0 {
		t.Errorf("function sizing %v %v %v", fn["MemorySize"], fn["Timeout"], fn["ReservedConcurrentExecutions"])
	}
	topicID, _ := tm.one(t, "AWS::SNS::Topic")
	_, sub := tm.one(t, "AWS::SNS::Subscription")
	if props(sub)["Protocol"] != "email" || props(sub)["Endpoint"] != "ops@example.com" {
		t.Errorf("subscription %v", props(sub))
	}
	for id, a := range tm.resources("AWS::CloudWatch::Alarm") {
		jsonEq(t, id+" actions", props(a)["AlarmActions"], []any{ref(topicID)})
	}
}

func TestExistingResources(t *testing.T) {
	tm := synthWith(t, nil, func(stack awscdk.Stack) *Props {
		vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("Existing"), &awsec2.VpcAttributes{
			VpcId:             jsii.String("vpc-0123456789abcdef0"),
			AvailabilityZones: jsii.Strings("us-east-1a", "us-east-1b"),
			PublicSubnetIds:   jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"),
		})
		logs := awss3.Bucket_FromBucketName(stack, jsii.String("Logs"), jsii.String("my-existing-logs"))
		summaries := awss3.Bucket_FromBucketName(stack, jsii.String("Summaries"), jsii.String("my-summaries"))
		topic := awssns.Topic_FromTopicArn(stack, jsii.String("Topic"), jsii.String("arn:aws:sns:us-east-1:123456789012:ops"))
		return &Props{Vpc: vpc, LogBucket: logs, SummaryBucket: summaries, AlarmTopic: topic}
	}).template
	for _, typ := range []string{"AWS::EC2::VPC", "AWS::SNS::Topic"} {
		if n := len(tm.resources(typ)); n != 0 {
			t.Errorf("%d %s created although one was given", n, typ)
		}
	}
	for id := range tm.resources("AWS::S3::Bucket") {
		if !strings.HasPrefix(id, "PipelineAthenaResultsBucket") {
			t.Errorf("bucket %s created although both were given (only Athena's results bucket is the pipeline's own)", id)
		}
	}
	for id, a := range tm.resources("AWS::CloudWatch::Alarm") {
		jsonEq(t, id+" actions", props(a)["AlarmActions"], []any{"arn:aws:sns:us-east-1:123456789012:ops"})
	}
	_, lb := tm.one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	jsonEq(t, "subnets", props(lb)["Subnets"], []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"})

	// Summaries and rollups go to the given summary bucket, not the log
	// bucket: the function is told so, may write there only, and may
	// list both buckets.
	vars := tm.function(t)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if vars["PMDP_SUMMARY_BUCKET"] != "my-summaries" {
		t.Errorf("PMDP_SUMMARY_BUCKET = %v, want my-summaries", vars["PMDP_SUMMARY_BUCKET"])
	}
	s3 := func(resource string) string { return "arn:aws:s3:::" + resource } // the test stack's region is in partition aws
	jsonEq(t, "function role statements", tm.statements(t, "PipelineFunctionRole"), []any{
		map[string]any{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": arnOf(idOf(tm, t, "AWS::Logs::LogGroup"))},
		map[string]any{"Sid": "ReadAccessLogs", "Effect": "Allow", "Action": "s3:GetObject", "Resource": s3("my-existing-logs/logs/AWSLogs/*")},
		map[string]any{"Sid": "SeeMissingAccessLogs", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": s3("my-existing-logs")},
		map[string]any{"Sid": "ListSummariesAndRollups", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": s3("my-summaries")},
		map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject", "s3:PutObject"}, "Resource": []any{s3("my-summaries/rollups/*"), s3("my-summaries/summaries/*")}},
		map[string]any{"Effect": "Allow", "Action": []any{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"}, "Resource": arnOf(idOf(tm, t, "AWS::SQS::Queue"))},
	})
	_, table := tm.one(t, "AWS::Glue::Table")
	jsonEq(t, "table location", props(table)["TableInput"].(map[string]any)["StorageDescriptor"].(map[string]any)["Location"], "s3://my-summaries/rollups/")
}

func TestInvalidPropsPanicWithEveryProblem(t *testing.T) {
	defer func() {
		r := recover()
		msg := fmt.Sprint(r)
		if r == nil || !strings.Contains(msg, "FixedResponseStatus") || !strings.Contains(msg, "Format") {
			t.Errorf("panic %v, want one listing both problems", r)
		}
	}()
	app := awscdk.NewApp(nil)
	New(awscdk.NewStack(app, jsii.String("S"), nil), "Pipeline", &Props{FixedResponseStatus: 302, Format: "xml"})
}

// A summary bucket encrypted with a KMS key: the function may use the key
// to read and write, whether the bucket is created beside the pipeline or
// imported with its key, and only for that.
func TestKMSSummaryBucket(t *testing.T) {
	const keyArn = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
	tests := []struct {
		name   string
		bucket func(stack awscdk.Stack) awss3.IBucket
		key    func(tm template, t *testing.T) any // the key's ARN as the template has it
	}{
		{"created with its own key", func(stack awscdk.Stack) awss3.IBucket {
			return awss3.NewBucket(stack, jsii.String("Reports"), &awss3.BucketProps{
				Encryption:             awss3.BucketEncryption_KMS,
				EncryptionKey:          awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)}),
				EnforceSSL:             jsii.Bool(true),
				ServerAccessLogsPrefix: jsii.String("access/"), // no cdk-nag S1 on the test's own bucket
			})
		}, func(tm template, t *testing.T) any { return arnOf(idOf(tm, t, "AWS::KMS::Key")) }},
		{"imported with its key", func(stack awscdk.Stack) awss3.IBucket {
			return awss3.Bucket_FromBucketAttributes(stack, jsii.String("Reports"), &awss3.BucketAttributes{
				BucketName:    jsii.String("my-reports"),
				EncryptionKey: awskms.Key_FromKeyArn(stack, jsii.String("Key"), jsii.String(keyArn)),
			})
		}, func(template, *testing.T) any { return keyArn }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := synthWith(t, nil, func(stack awscdk.Stack) *Props {
				return &Props{SummaryBucket: tt.bucket(stack)}
			}).template
			var kms []any
			for _, pol := range tm.resources("AWS::IAM::Policy") {
				for _, st := range props(pol)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					st := st.(map[string]any)
					if a, _ := json.Marshal(st["Action"]); strings.Contains(string(a), "kms:") {
						kms = append(kms, st)
					}
				}
			}
			// Decrypt to read summaries and rollups, GenerateDataKey to
			// write them.
			jsonEq(t, "KMS statements", kms, []any{map[string]any{"Effect": "Allow", "Action": []any{"kms:Decrypt", "kms:GenerateDataKey"}, "Resource": tt.key(tm, t)}})
		})
	}
}

// A log prefix with every punctuation mark Validate lets through reaches
// the load balancer, the notification filter, the lifecycle rule and the
// function's permissions as it was written: S3's filter reads these
// characters unencoded, so one string serves everywhere.
func TestLogPrefixReachesEveryUseAsIs(t *testing.T) {
	const logPrefix = "alb-1/it's_(eu).v2!"
	want := contract.NotificationFilter(logPrefix).Prefix
	tm := synth(t, &Props{LogPrefix: logPrefix}).template

	_, lb := tm.one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	attrs, _ := json.Marshal(props(lb)["LoadBalancerAttributes"])
	if !strings.Contains(string(attrs), `{"Key":"access_logs.s3.prefix","Value":"alb-1/it's_(eu).v2!"}`) {
		t.Errorf("load balancer attributes %s", attrs)
	}
	_, n := tm.one(t, "Custom::S3BucketNotifications")
	filter, _ := json.Marshal(props(n)["NotificationConfiguration"])
	if !strings.Contains(string(filter), `{"Name":"prefix","Value":"`+want+`"}`) {
		t.Errorf("notification %s, want prefix %s", filter, want)
	}
	_, b := tm.named(t, "AWS::S3::Bucket", "PipelineLogBucket")
	if rules, _ := json.Marshal(props(b)["LifecycleConfiguration"]); !strings.Contains(string(rules), `"Prefix":"`+want+`"`) {
		t.Errorf("lifecycle %s, want prefix %s", rules, want)
	}
	if policies, _ := json.Marshal(tm.resources("AWS::IAM::Policy")); !strings.Contains(string(policies), `"/`+want+`*"`) {
		t.Errorf("policies lack objects under %s", want)
	}
}
