package cfnguard

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseExceptions(t *testing.T) {
	got, err := ParseExceptions([]byte(`[
		{"control": "CT.S3.PR.2", "resource": "Pmdp/Pipeline/*Bucket/Resource", "reason": "no access logs of logs"},
		{"control": "CT.ELASTICLOADBALANCING.PR.5", "resource": "Pmdp/Pipeline/LoadBalancer/Resource", "stacks": ["default"], "reason": "destroyable"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Exception{
		{Control: "CT.S3.PR.2", Resource: "Pmdp/Pipeline/*Bucket/Resource", Reason: "no access logs of logs"},
		{Control: "CT.ELASTICLOADBALANCING.PR.5", Resource: "Pmdp/Pipeline/LoadBalancer/Resource", Stacks: []string{"default"}, Reason: "destroyable"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseExceptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // each in the error
	}{
		{"not a list", `{"control": "CT.S3.PR.2"}`, []string{"exceptions: json: cannot unmarshal object"}},
		{"unknown field", `[{"control": "CT.S3.PR.2", "resource": "X", "reason": "r", "rule": "x"}]`, []string{`unknown field "rule"`}},
		{"every problem at once", `[
			{"control": "s3_bucket_logging_enabled_check", "resource": "X", "reason": "r"},
			{"control": "CT.S3.PR.2", "resource": "", "reason": " "},
			{"control": "CT.S3.PR.2", "resource": "[", "reason": "r", "stacks": [""]},
			{"control": "CT.S3.PR.9", "resource": "X", "reason": "r"},
			{"control": "CT.S3.PR.9", "resource": "X", "reason": "s", "stacks": ["default"]}
		]`, []string{
			`exception 1 (s3_bucket_logging_enabled_check X): control "s3_bucket_logging_enabled_check" is not a control ID`,
			"exception 2 (CT.S3.PR.2 ): no resource",
			"exception 2 (CT.S3.PR.2 ): no reason",
			"exception 3 (CT.S3.PR.2 [ ()): resource pattern: syntax error in pattern",
			"exception 3 (CT.S3.PR.2 [ ()): an empty stack name",
			"exception 5 (CT.S3.PR.9 X (default)): repeats exception 4",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExceptions([]byte(tt.data))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	bucket := Finding{Control: "CT.S3.PR.2", Rule: "s3_bucket_logging_enabled_check", Resource: "LogBucket1", Path: "S/Pipeline/LogBucket/Resource"}
	results := Finding{Control: "CT.S3.PR.2", Rule: "s3_bucket_logging_enabled_check", Resource: "ResultsBucket1", Path: "S/Pipeline/ResultsBucket/Resource"}
	lb := Finding{Control: "CT.ELASTICLOADBALANCING.PR.5", Rule: "elbv2_deletion_protection_enabled_check", Resource: "LB1", Path: "S/Pipeline/LoadBalancer/Resource"}
	noPath := Finding{Control: "CT.LAMBDA.PR.3", Rule: "lambda_inside_vpc_check", Resource: "Handler1"}
	bucketsLogging := Exception{Control: "CT.S3.PR.2", Resource: "S/Pipeline/*Bucket/Resource", Reason: "r"}
	lbDefault := Exception{Control: "CT.ELASTICLOADBALANCING.PR.5", Resource: "S/Pipeline/LoadBalancer/Resource", Stacks: []string{"default"}, Reason: "r"}
	byID := Exception{Control: "CT.LAMBDA.PR.3", Resource: "Handler*", Reason: "r"}
	otherControl := Exception{Control: "CT.S3.PR.9", Resource: "S/Pipeline/*Bucket/Resource", Reason: "r"}

	tests := []struct {
		name       string
		stacks     []Stack
		exceptions []Exception
		want       []Verdict
	}{
		{
			name:       "every finding excepted, by pattern, by stack and by logical ID",
			stacks:     []Stack{{"default", Result{Failed: []string{"a", "b", "c"}, Findings: []Finding{bucket, results, lb, noPath}}}},
			exceptions: []Exception{bucketsLogging, lbDefault, byID},
			want: []Verdict{{Stack: "default", Result: Result{Failed: []string{"a", "b", "c"}, Findings: []Finding{bucket, results, lb, noPath}},
				Excepted: []Excepted{{bucket, bucketsLogging}, {results, bucketsLogging}, {lb, lbDefault}, {noPath, byID}}}},
		},
		{
			name: "an exception for another stack excepts nothing here; one matching nothing is stale",
			stacks: []Stack{
				{"default", Result{Findings: []Finding{lb}}},
				{"all", Result{Findings: []Finding{lb, bucket}}},
			},
			exceptions: []Exception{lbDefault, bucketsLogging, otherControl},
			want: []Verdict{
				{Stack: "default", Result: Result{Findings: []Finding{lb}}, Excepted: []Excepted{{lb, lbDefault}}, Stale: []Exception{bucketsLogging, otherControl}},
				{Stack: "all", Result: Result{Findings: []Finding{lb, bucket}}, Excepted: []Excepted{{bucket, bucketsLogging}}, Unexcepted: []Finding{lb}, Stale: []Exception{otherControl}},
			},
		},
		{
			name:       "two exceptions for one finding: the first takes it, neither is stale",
			stacks:     []Stack{{"default", Result{Findings: []Finding{bucket}}}},
			exceptions: []Exception{{Control: "CT.S3.PR.2", Resource: "S/Pipeline/LogBucket/Resource", Reason: "r"}, bucketsLogging},
			want: []Verdict{{Stack: "default", Result: Result{Findings: []Finding{bucket}},
				Excepted: []Excepted{{bucket, Exception{Control: "CT.S3.PR.2", Resource: "S/Pipeline/LogBucket/Resource", Reason: "r"}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(tt.stacks, tt.exceptions)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
			for i, v := range got {
				if ok := len(tt.want[i].Unexcepted) == 0 && len(tt.want[i].Stale) == 0; v.OK() != ok {
					t.Errorf("%s: OK %v, want %v", v.Stack, v.OK(), ok)
				}
			}
		})
	}
}

func TestCheckUnknownStack(t *testing.T) {
	_, err := Check([]Stack{{Name: "default"}}, []Exception{{Control: "CT.S3.PR.2", Resource: "X", Stacks: []string{"defualt"}, Reason: "r"}})
	if err == nil || !strings.Contains(err.Error(), `stack "defualt" is not checked`) {
		t.Errorf("error %v, want the unknown stack named", err)
	}
}

func TestExceptedRules(t *testing.T) {
	v := Verdict{
		Result:     Result{Failed: []string{"a", "b", "c"}},
		Unexcepted: []Finding{{Rule: "b"}, {Rule: "b"}},
	}
	if n := v.ExceptedRules(); n != 2 {
		t.Errorf("ExceptedRules %d, want 2 (a and c)", n)
	}
}
