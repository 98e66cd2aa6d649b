package pipeline

// Template tests. jsii is not goroutine-safe: no t.Parallel() here.

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/internal/logkey"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

const testCert = "arn:aws:acm:us-east-1:123456789012:certificate/8c1f3a5e-4b2d-4e8f-9a6b-2d7c0e1f3a4b"

// template is a synthesized CloudFormation template.
type template map[string]any

// synth builds the deployable stack with props (and whatever extra builds
// in the stack first) and returns its template. cdk-nag runs on it: an
// unsuppressed finding fails the test.
func synth(t *testing.T, props *Props, extra ...func(awscdk.Stack) *Props) (tmpl template) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("synth panicked: %v", r)
		}
	}()
	app := NewApp(nil, t.TempDir())
	stack := awscdk.NewStack(app, jsii.String("Test"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("us-east-1"), Account: jsii.String("123456789012")},
	})
	for _, f := range extra {
		props = f(stack)
	}
	New(stack, "Pipeline", props)
	suppressNotificationHandler(stack)
	raw := assertions.Template_FromStack(stack, nil).ToJSON()
	b, _ := json.Marshal(raw)
	json.Unmarshal(b, &tmpl)
	return tmpl
}

func (tm template) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tm["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// one returns the only resource of typ, failing otherwise.
func (tm template) one(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := tm.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, r
	}
	return "", nil
}

func props(r map[string]any) map[string]any { return r["Properties"].(map[string]any) }

// jsonEq compares two values as JSON.
func jsonEq(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	var gv, wv any
	json.Unmarshal(g, &gv)
	json.Unmarshal(w, &wv)
	if !reflect.DeepEqual(gv, wv) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func ref(id string) map[string]any   { return map[string]any{"Ref": id} }
func arnOf(id string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }
func idOf(tm template, t *testing.T, typ string) string {
	id, _ := tm.one(t, typ)
	return id
}

func TestDefaultStack(t *testing.T) {
	tm := synth(t, nil)

	t.Run("network: two public subnets, no NAT, no targets", func(t *testing.T) {
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
		for id, s := range subnets {
			if props(s)["MapPublicIpOnLaunch"] != true {
				t.Errorf("subnet %s is not public", id)
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

	t.Run("log bucket: SSE-S3, private, TLS only, expiring raw logs, retained", func(t *testing.T) {
		id, b := tm.one(t, "AWS::S3::Bucket")
		p := props(b)
		jsonEq(t, "encryption", p["BucketEncryption"], map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}})
		jsonEq(t, "public access block", p["PublicAccessBlockConfiguration"], map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		})
		jsonEq(t, "lifecycle", p["LifecycleConfiguration"], map[string]any{"Rules": []any{map[string]any{
			"Id": "ExpireRawLogs", "Prefix": "logs/AWSLogs/", "ExpirationInDays": 90, "Status": "Enabled",
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1},
		}}})
		if b["DeletionPolicy"] != "Retain" || b["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("deletion policy %v / %v, want Retain", b["DeletionPolicy"], b["UpdateReplacePolicy"])
		}
		_, pol := tm.one(t, "AWS::S3::BucketPolicy")
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
		var fn map[string]any
		for _, f := range tm.resources("AWS::Lambda::Function") {
			if props(f)["Handler"] == "bootstrap" {
				fn = props(f)
			}
		}
		if fn == nil {
			t.Fatal("no function with handler bootstrap")
		}
		jsonEq(t, "function", map[string]any{
			"Runtime": fn["Runtime"], "Architectures": fn["Architectures"], "MemorySize": fn["MemorySize"],
			"Timeout": fn["Timeout"], "Environment": fn["Environment"], "RecursiveLoop": fn["RecursiveLoop"],
		}, map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "MemorySize": 1024, "Timeout": 300,
			"RecursiveLoop": "Terminate",
			"Environment": map[string]any{"Variables": map[string]any{
				"PMDP_SUMMARY_BUCKET": ref(idOf(tm, t, "AWS::S3::Bucket")), "PMDP_SUMMARY_PREFIX": "summaries/",
				"PMDP_GROUP_BY": "date,path", "PMDP_FORMAT": "csv",
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
			if _, ok := p["AlarmActions"]; ok {
				t.Error("alarm actions without a topic")
			}
		}
		if !metrics["ApproximateNumberOfMessagesVisible"] || !metrics["Errors"] {
			t.Errorf("alarm metrics %v", metrics)
		}
	})

	t.Run("least privilege: the exact statements", func(t *testing.T) {
		bucket := idOf(tm, t, "AWS::S3::Bucket")
		logGroup := idOf(tm, t, "AWS::Logs::LogGroup")
		queue := idOf(tm, t, "AWS::SQS::Queue")
		var roleID string
		for id, r := range tm.resources("AWS::IAM::Role") {
			if strings.HasPrefix(id, "PipelineFunctionRole") {
				roleID = id
				if _, ok := props(r)["ManagedPolicyArns"]; ok {
					t.Errorf("function role has managed policies: %v", props(r)["ManagedPolicyArns"])
				}
			}
		}
		var statements any
		n := 0
		for _, pol := range tm.resources("AWS::IAM::Policy") {
			roles, _ := json.Marshal(props(pol)["Roles"])
			if strings.Contains(string(roles), `"`+roleID+`"`) {
				statements = props(pol)["PolicyDocument"].(map[string]any)["Statement"]
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d policies on the function role, want 1", n)
		}
		objects := func(prefix string) map[string]any {
			return map[string]any{"Fn::Join": []any{"", []any{arnOf(bucket), "/" + prefix}}}
		}
		jsonEq(t, "function role statements", statements, []any{
			map[string]any{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": []any{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": arnOf(logGroup)},
			map[string]any{"Sid": "ReadAccessLogs", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects("logs/AWSLogs/*")},
			map[string]any{"Sid": "SeeMissingAccessLogs", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arnOf(bucket),
				"Condition": map[string]any{"StringLike": map[string]any{"s3:prefix": "logs/AWSLogs/*"}}},
			map[string]any{"Sid": "WriteSummaries", "Effect": "Allow", "Action": "s3:PutObject", "Resource": objects("summaries/*")},
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
		f := logkey.Filter{}
		for _, r := range c["Filter"].(map[string]any)["Key"].(map[string]any)["FilterRules"].([]any) {
			rule := r.(map[string]any)
			switch rule["Name"] {
			case "prefix":
				f.Prefix = rule["Value"].(string)
			case "suffix":
				f.Suffix = rule["Value"].(string)
			}
		}
		if f != logkey.NotificationFilter("logs") {
			t.Fatalf("filter %+v, want the shared definition %+v", f, logkey.NotificationFilter("logs"))
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

	t.Run("no cdk-nag finding left unexplained", func(t *testing.T) {
		// synth would have panicked on an error; warnings are findings too.
		meta, _ := json.Marshal(tm)
		if strings.Contains(string(meta), "AwsSolutions-") && strings.Contains(string(meta), "\"level\":\"warning\"") {
			t.Error("cdk-nag warnings in the template metadata")
		}
	})
}

func TestStackOutputs(t *testing.T) {
	app := NewApp(nil, t.TempDir())
	stack := NewStack(app, "Pmdp", &StackProps{StackProps: awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}}})
	raw := assertions.Template_FromStack(stack, nil).ToJSON()
	b, _ := json.Marshal(raw)
	var tm template
	json.Unmarshal(b, &tm)
	outputs := tm["Outputs"].(map[string]any)
	for _, name := range []string{"CollectorUrl", "LogBucketName", "SummaryBucketName", "FunctionName", "FailureQueueUrl"} {
		if _, ok := outputs[name]; !ok {
			t.Errorf("no output %s (have %v)", name, keysOf(outputs))
		}
	}
	url, _ := json.Marshal(outputs["CollectorUrl"])
	if !strings.Contains(string(url), `"http://"`) || !strings.Contains(string(url), "DNSName") || !strings.Contains(string(url), `"/e"`) {
		t.Errorf("collector URL %s", url)
	}
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestHTTPSAndOptions(t *testing.T) {
	tm := synth(t, &Props{
		CertificateArn: testCert, RedirectHTTPToHTTPS: true,
		FixedResponseStatus: 200, FixedResponseContentType: "application/json", FixedResponseBody: `{"ok":true}`,
		AllowInvalidHeaderFields: true, DesyncMitigationMode: "strictest", DeletionProtection: true,
		IdleTimeout: 30e9, LogPrefix: "alb", RawLogExpirationDays: 7, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		SummaryPrefix: "counts/", GroupBy: "hour,query:ev", Format: "jsonl", FunctionMemoryMB: 256,
		FunctionTimeout: 60e9, ReservedConcurrency: 3, AlarmEmail: "ops@example.com",
	})
	listeners := map[float64]map[string]any{}
	for _, l := range tm.resources("AWS::ElasticLoadBalancingV2::Listener") {
		listeners[props(l)["Port"].(float64)] = props(l)
	}
	if len(listeners) != 2 {
		t.Fatalf("%d listeners, want 2", len(listeners))
	}
	jsonEq(t, "HTTP redirects", listeners[80]["DefaultActions"], []any{map[string]any{"Type": "redirect",
		"RedirectConfig": map[string]any{"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}})
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
	_, b := tm.one(t, "AWS::S3::Bucket")
	if b["DeletionPolicy"] != "Delete" {
		t.Errorf("deletion policy %v", b["DeletionPolicy"])
	}
	rules, _ := json.Marshal(props(b)["LifecycleConfiguration"])
	if !strings.Contains(string(rules), `"ExpirationInDays":7`) || !strings.Contains(string(rules), `"Prefix":"alb/AWSLogs/"`) {
		t.Errorf("lifecycle %s", rules)
	}
	var fn map[string]any
	for _, f := range tm.resources("AWS::Lambda::Function") {
		if props(f)["Handler"] == "bootstrap" {
			fn = props(f)
		}
	}
	env, _ := json.Marshal(fn["Environment"])
	for _, want := range []string{`"PMDP_SUMMARY_PREFIX":"counts/"`, `"PMDP_GROUP_BY":"hour,query:ev"`, `"PMDP_FORMAT":"jsonl"`} {
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
	var summaries awss3.IBucket
	tm := synth(t, nil, func(stack awscdk.Stack) *Props {
		vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("Existing"), &awsec2.VpcAttributes{
			VpcId:             jsii.String("vpc-0123456789abcdef0"),
			AvailabilityZones: jsii.Strings("us-east-1a", "us-east-1b"),
			PublicSubnetIds:   jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"),
		})
		logs := awss3.Bucket_FromBucketName(stack, jsii.String("Logs"), jsii.String("my-existing-logs"))
		summaries = awss3.Bucket_FromBucketName(stack, jsii.String("Summaries"), jsii.String("my-summaries"))
		topic := awssns.Topic_FromTopicArn(stack, jsii.String("Topic"), jsii.String("arn:aws:sns:us-east-1:123456789012:ops"))
		return &Props{Vpc: vpc, LogBucket: logs, SummaryBucket: summaries, AlarmTopic: topic}
	})
	for _, typ := range []string{"AWS::EC2::VPC", "AWS::S3::Bucket", "AWS::SNS::Topic"} {
		if n := len(tm.resources(typ)); n != 0 {
			t.Errorf("%d %s created although one was given", n, typ)
		}
	}
	policies, _ := json.Marshal(tm.resources("AWS::IAM::Policy"))
	for _, want := range []string{"arn:", ":s3:::my-existing-logs/logs/AWSLogs/*", ":s3:::my-summaries/summaries/*"} {
		if !strings.Contains(string(policies), want) {
			t.Errorf("policies lack %s", want)
		}
	}
	for id, a := range tm.resources("AWS::CloudWatch::Alarm") {
		jsonEq(t, id+" actions", props(a)["AlarmActions"], []any{"arn:aws:sns:us-east-1:123456789012:ops"})
	}
	_, lb := tm.one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	jsonEq(t, "subnets", props(lb)["Subnets"], []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"})
	_ = summaries
}

// The function's code is built from source once and hashed by content, so
// two synths of unchanged code give the same asset: no redeploy.
func TestStableAssetHash(t *testing.T) {
	code := func() any {
		tm := synth(t, nil)
		for _, f := range tm.resources("AWS::Lambda::Function") {
			if props(f)["Handler"] == "bootstrap" {
				return props(f)["Code"]
			}
		}
		t.Fatal("no function")
		return nil
	}
	first, second := code(), code()
	jsonEq(t, "code of two synths", second, first)

	// A fresh build in another process gives the same bytes.
	dir, err := BuildFunction()
	if err != nil {
		t.Fatal(err)
	}
	again, err := buildFunction()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(again)
	a, _ := os.ReadFile(filepath.Join(dir, "bootstrap"))
	b, _ := os.ReadFile(filepath.Join(again, "bootstrap"))
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("two builds of the same source differ (%d and %d bytes)", len(a), len(b))
	}
}

func TestCodeOverride(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("prebuilt"), 0o755)
	tm := synth(t, &Props{Code: awslambda.Code_FromAsset(jsii.String(dir), nil)})
	found := false
	for _, f := range tm.resources("AWS::Lambda::Function") {
		if props(f)["Handler"] == "bootstrap" {
			found = true
		}
	}
	if !found {
		t.Error("no function with the prebuilt code")
	}
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

// The embedded feature flags are aws-cdk-lib's own recommendation, read
// from the library tarball that the aws-cdk-go version in go.mod embeds.
func TestFeatureFlagsMatchTheLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-cdk-go/awscdk/v2").Output()
	if err != nil {
		t.Fatal(err)
	}
	tarballs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "jsii", "aws-cdk-lib-*.tgz"))
	if len(tarballs) != 1 {
		t.Fatalf("aws-cdk-lib tarballs: %v", tarballs)
	}
	f, err := os.Open(tarballs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no package/recommended-feature-flags.json in %s: %v", tarballs[0], err)
		}
		if h.Name != "package/recommended-feature-flags.json" {
			continue
		}
		var want map[string]any
		if err := json.NewDecoder(tr).Decode(&want); err != nil {
			t.Fatal(err)
		}
		jsonEq(t, "feature flags (copy the library's file to feature-flags.json after an upgrade)", FeatureFlags(), want)
		return
	}
}

// Another module imports the construct through a replace directive and
// synthesizes a stack with it: the function's code must be found and
// built from there too.
func TestReuseFromAnotherModule(t *testing.T) {
	out := t.TempDir()
	run := exec.Command("go", "run", ".")
	run.Dir = filepath.Join("testdata", "consumer")
	run.Env = append(os.Environ(), "CDK_OUTDIR="+out)
	if msg, err := run.CombinedOutput(); err != nil {
		t.Fatalf("synthesizing the consumer app: %v\n%s", err, msg)
	}
	raw, err := os.ReadFile(filepath.Join(out, "Analytics.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tm template
	if err := json.Unmarshal(raw, &tm); err != nil {
		t.Fatal(err)
	}
	var fn map[string]any
	for _, f := range tm.resources("AWS::Lambda::Function") {
		if props(f)["Handler"] == "bootstrap" {
			fn = props(f)
		}
	}
	if fn == nil {
		t.Fatal("the consumer's stack has no pmdp function")
	}
	env, _ := json.Marshal(fn["Environment"])
	if !strings.Contains(string(env), `"PMDP_SUMMARY_PREFIX":"events/"`) || !strings.Contains(string(env), `"PMDP_GROUP_BY":"date,query:ev"`) {
		t.Errorf("environment %s", env)
	}
	// The staged asset holds the built function.
	key := fn["Code"].(map[string]any)["S3Key"].(string)
	hash := strings.TrimSuffix(key, ".zip")
	info, err := os.Stat(filepath.Join(out, "asset."+hash, "bootstrap"))
	if err != nil || info.Size() < 1_000_000 {
		t.Errorf("staged asset: %v, %v", info, err)
	}
	if len(tm.resources("AWS::S3::Bucket")) != 2 {
		t.Errorf("%d buckets: want the consumer's summary bucket and the pipeline's log bucket", len(tm.resources("AWS::S3::Bucket")))
	}
}
