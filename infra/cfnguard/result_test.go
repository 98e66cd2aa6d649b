package cfnguard

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testdata/structured.json is cfn-guard 3.1.1's report on the default
// stack with the Control Tower rules of cdk-validator-cfnguard 0.0.62,
// five of its failed rules kept and long template values trimmed;
// testdata/template.json holds the metadata of the resources it names.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	paths, err := ResourcePaths(readTestdata(t, "template.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Parse(readTestdata(t, "structured.json"), paths)
	if err != nil {
		t.Fatal(err)
	}
	type short struct{ Control, Rule, Resource, Path string }
	var got []short
	for _, f := range res.Findings {
		got = append(got, short{f.Control, f.Rule, f.Resource, f.Path})
		if !strings.HasPrefix(f.Message, "["+f.Control+"]: ") || !strings.Contains(f.Message, "\n[FIX]: ") {
			t.Errorf("%s %s: message %q: want the control's title, then its fix", f.Control, f.Resource, f.Message)
		}
	}
	want := []short{
		{"CT.CLOUDWATCH.PR.1", "cloudwatch_alarm_action_check", "PipelineFailureQueueAlarmC82A180B", "Pmdp/Pipeline/FailureQueueAlarm/Resource"},
		{"CT.CLOUDWATCH.PR.1", "cloudwatch_alarm_action_check", "PipelineFunctionErrorAlarm316D4AC4", "Pmdp/Pipeline/FunctionErrorAlarm/Resource"},
		{"CT.CLOUDWATCH.PR.2", "cloudwatch_log_group_retention_period_check", "PipelineFunctionLogGroup53100CA0", "Pmdp/Pipeline/FunctionLogGroup/Resource"},
		{"CT.ELASTICLOADBALANCING.PR.1", "alb_http_to_https_redirection_check", "PipelineLoadBalancerHttpListener71A66230", "Pmdp/Pipeline/LoadBalancer/HttpListener/Resource"},
		{"CT.LAMBDA.PR.3", "lambda_inside_vpc_check", "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691", "Pmdp/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Resource"},
		{"CT.LAMBDA.PR.3", "lambda_inside_vpc_check", "CustomVpcRestrictDefaultSGCustomResourceProviderHandlerDC833E5E", "Pmdp/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler"},
		{"CT.LAMBDA.PR.3", "lambda_inside_vpc_check", "PipelineFunction478EC3AB", "Pmdp/Pipeline/Function/Resource"},
		{"CT.S3.PR.10", "s3_bucket_default_encryption_kms_check", "PipelineAthenaResultsBucket52541C89", "Pmdp/Pipeline/AthenaResultsBucket/Resource"},
		{"CT.S3.PR.10", "s3_bucket_default_encryption_kms_check", "PipelineLogBucketD21D112B", "Pmdp/Pipeline/LogBucket/Resource"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\ngot  %v\nwant %v", got, want)
	}

	// The sample kept 5 of the 14 failed rules; cfn-guard lists every
	// rule as not applicable too, so the 9 others count as such.
	if res.Rules() != 237 || len(res.Failed) != 5 || len(res.Passed) != 16 || len(res.Skipped) != 237-5-16 {
		t.Errorf("rules %d: failed %d, passed %d, skipped %d; want 237: 5, 16, 216", res.Rules(), len(res.Failed), len(res.Passed), len(res.Skipped))
	}
	for _, name := range res.Failed {
		for _, other := range [][]string{res.Passed, res.Skipped} {
			for _, o := range other {
				if o == name {
					t.Errorf("rule %s is failed and also passed or not applicable", name)
				}
			}
		}
	}
	for _, name := range []string{"alb_desync_mode_check", "cloudwatch_alarm_action_enabled_check"} {
		if !contains(res.Passed, name) {
			t.Errorf("%s: not passed", name)
		}
	}
	if !contains(res.Skipped, "api_gw_cache_encrypted_check") {
		t.Error("api_gw_cache_encrypted_check: not skipped")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"not JSON", `Error occurred`, "cfn-guard report: invalid character"},
		{"two data files", `[{"name":"a"},{"name":"b"}]`, "2 data files, want 1"},
		{"no data file", `[]`, "0 data files, want 1"},
		{"a failure naming no rule", `[{"name":"t.json","not_compliant":[{"Clause":{}}]}]`, "t.json: not_compliant[0] names no rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.out), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseFindingWithoutResource(t *testing.T) {
	// A rule that fails on the template as a whole points at no resource:
	// it is still one finding, named by the rule's own name when its
	// message names no control.
	out := `[{"name":"t.json","status":"FAIL","compliant":[],"not_applicable":["r"],
		"not_compliant":[{"Rule":{"name":"r","messages":{"custom_message":null},"checks":[
			{"Clause":{"Unary":{"check":{"UnResolved":{"value":{"traversed_to":{"path":"","value":{}},"remaining_query":"Resources"}}}}}}]}}]}]`
	res, err := Parse([]byte(out), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{{Control: "r", Rule: "r"}}
	if !reflect.DeepEqual(res.Findings, want) || !reflect.DeepEqual(res.Failed, []string{"r"}) || len(res.Skipped) != 0 {
		t.Errorf("got %+v, want findings %+v and r failed only", res, want)
	}
}

func TestWalkerIgnoresComparedValues(t *testing.T) {
	// "to" is the value a check compared with, which may be another
	// resource (a reference), and values are template data: neither
	// names the resource that failed.
	out := `[{"name":"t.json","not_compliant":[{"Rule":{"name":"r","messages":{"custom_message":"[CT.X.PR.1]: t"},"checks":[
		{"Clause":{"Binary":{"check":{"Resolved":{
			"from":{"path":"/Resources/Failed/Properties/A","value":{"path":"/Resources/InValue/X"}},
			"to":{"path":"/Resources/Other/Properties/B","value":1}}}}}}]}}]}]`
	res, err := Parse([]byte(out), map[string]string{"Failed": "S/Failed/Resource"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{{Control: "CT.X.PR.1", Rule: "r", Resource: "Failed", Path: "S/Failed/Resource", Message: "[CT.X.PR.1]: t"}}
	if !reflect.DeepEqual(res.Findings, want) {
		t.Errorf("findings %+v, want %+v", res.Findings, want)
	}
}

func TestResourcePaths(t *testing.T) {
	got, err := ResourcePaths([]byte(`{"Resources":{"A":{"Type":"T","Metadata":{"aws:cdk:path":"S/A/Resource"}},"B":{"Type":"T"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"A": "S/A/Resource"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := ResourcePaths([]byte(`{"Resources":[]}`)); err == nil {
		t.Error("resources as a list: no error")
	}
}
