package pipeline

// Helpers for the template tests. jsii is not goroutine-safe: no
// t.Parallel() in this package.

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

const testCert = "arn:aws:acm:us-east-1:123456789012:certificate/8c1f3a5e-4b2d-4e8f-9a6b-2d7c0e1f3a4b"

var testEnv = &awscdk.Environment{Region: jsii.String("us-east-1"), Account: jsii.String("123456789012")}

// template is a synthesized CloudFormation template.
type template map[string]any

// synthesized is what synth built: the stack, its template, and the cloud
// assembly directory the function's code was staged in.
type synthesized struct {
	template
	stack  awscdk.Stack
	outdir string
}

// synth builds the pipeline with props in a test stack and returns its
// template. cdk-nag runs on it: any finding left unexplained fails the
// test.
func synth(t *testing.T, props *Props) synthesized {
	t.Helper()
	return synthWith(t, nil, func(awscdk.Stack) *Props { return props })
}

// synthWith is synth in an App with extra context, and props made by
// build, which may first add resources of its own to the stack.
func synthWith(t *testing.T, extraContext map[string]any, build func(awscdk.Stack) *Props) synthesized {
	t.Helper()
	outdir := t.TempDir()
	var stack awscdk.Stack
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("building the stack panicked: %v", r)
			}
		}()
		app := NewApp(extraContext, outdir)
		stack = awscdk.NewStack(app, jsii.String("Test"), &awscdk.StackProps{Env: testEnv})
		New(stack, "Pipeline", build(stack))
		suppressNotificationHandler(stack)
	}()
	return synthesized{template: templateOf(t, stack), stack: stack, outdir: outdir}
}

// templateOf synthesizes stack and returns its template, failing the test
// on any AwsSolutions finding left unexplained.
func templateOf(t *testing.T, stack awscdk.Stack) (tm template) {
	t.Helper()
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("synth panicked: %v", r)
			}
		}()
		raw := assertions.Template_FromStack(stack, nil).ToJSON()
		b, err := json.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &tm); err != nil {
			t.Fatal(err)
		}
	}()
	if err := unexplainedFindings(stack); err != nil {
		t.Fatal(err)
	}
	if err := unmatchedSuppressions(stack); err != nil {
		t.Fatal(err)
	}
	return tm
}

// unmatchedSuppressions reports every cdk-nag suppression on stack that
// explains no finding: a reason that no longer applies would otherwise
// stay in the code and hide the next real finding of its rule. It reads
// cdk-nag's report, which lists each suppressed finding with its
// resource's path, and the suppressions on each resource. A suppression
// applied to a construct's children (as on a role and its default policy)
// is matched once among all of them.
func unmatchedSuppressions(stack awscdk.Stack) error {
	type suppression struct{ rule, appliesTo, reason string }
	type finding struct{ path, rule, appliesTo string }
	suppressed := map[finding]bool{}
	reports, _ := filepath.Glob(filepath.Join(*awscdk.Stage_Of(stack).Outdir(), "AwsSolutions-*-NagReport.csv"))
	if len(reports) == 0 {
		return errors.New("no cdk-nag report")
	}
	for _, name := range reports {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, row := range rows[1:] { // Rule ID, Resource ID, Compliance, Exception Reason, ...
			if row[2] != "Suppressed" {
				continue
			}
			// A finding about one part of a resource is explained as
			// "[part] reason".
			appliesTo := ""
			if rest, ok := strings.CutPrefix(row[3], "["); ok {
				appliesTo, _, _ = strings.Cut(rest, "] ")
			}
			suppressed[finding{row[1], row[0], appliesTo}] = true
		}
	}

	var order []suppression // as found, for a stable report
	matched := map[suppression]bool{}
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if !*awscdk.CfnResource_IsCfnResource(c) {
			continue
		}
		path := *c.Node().Path()
		raw, _ := json.Marshal(c.(awscdk.CfnResource).GetMetadata(jsii.String("cdk_nag")))
		var meta struct {
			Rules []struct {
				ID        string `json:"id"`
				Reason    string `json:"reason"`
				AppliesTo []any  `json:"applies_to"`
			} `json:"rules_to_suppress"`
		}
		json.Unmarshal(raw, &meta)
		for _, r := range meta.Rules {
			parts := []string{""}
			if len(r.AppliesTo) > 0 {
				parts = parts[:0]
				for _, a := range r.AppliesTo {
					s, ok := a.(string)
					if !ok {
						return fmt.Errorf("%s: %s applies to %v, which this check cannot match", path, r.ID, a)
					}
					parts = append(parts, s)
				}
			}
			for _, part := range parts {
				s := suppression{r.ID, part, r.Reason}
				if _, seen := matched[s]; !seen {
					order = append(order, s)
				}
				matched[s] = matched[s] || suppressed[finding{path, r.ID, part}]
			}
		}
	}
	var errs []error
	for _, s := range order {
		if !matched[s] {
			what := s.rule
			if s.appliesTo != "" {
				what += "[" + s.appliesTo + "]"
			}
			errs = append(errs, fmt.Errorf("cdk-nag suppression %s (%q) matches no finding: remove it", what, s.reason))
		}
	}
	return errors.Join(errs...)
}

// unexplainedFindings reports the AwsSolutions warnings and errors cdk-nag
// left on stack. They are annotations, which never reach the template:
// only the assertions library's Annotations see them. (With the
// recommended flags an error already fails synthesis; a warning does not.)
func unexplainedFindings(stack awscdk.Stack) error {
	rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	var errs []error
	for _, c := range []struct {
		level string
		check func(a assertions.Annotations)
	}{
		{"warnings", func(a assertions.Annotations) { a.HasNoWarning(jsii.String("*"), rule) }},
		{"errors", func(a assertions.Annotations) { a.HasNoError(jsii.String("*"), rule) }},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					errs = append(errs, fmt.Errorf("cdk-nag %s left unexplained: %v", c.level, r))
				}
			}()
			c.check(assertions.Annotations_FromStack(stack))
		}()
	}
	return errors.Join(errs...)
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

// named returns the only resource of typ whose logical ID starts with
// prefix, such as "PipelineLogBucket", failing otherwise.
func (tm template) named(t *testing.T, typ, prefix string) (string, map[string]any) {
	t.Helper()
	var id string
	var res map[string]any
	for rid, r := range tm.resources(typ) {
		if !strings.HasPrefix(rid, prefix) {
			continue
		}
		if res != nil {
			t.Fatalf("two resources of type %s named %s*: %s and %s", typ, prefix, id, rid)
		}
		id, res = rid, r
	}
	if res == nil {
		t.Fatalf("no resource of type %s named %s*", typ, prefix)
	}
	return id, res
}

// statements returns the statements of the only policy attached to the
// role whose logical ID starts with rolePrefix, failing if the role has
// managed policies or not exactly one policy.
func (tm template) statements(t *testing.T, rolePrefix string) any {
	t.Helper()
	roleID, role := tm.named(t, "AWS::IAM::Role", rolePrefix)
	if arns, ok := props(role)["ManagedPolicyArns"]; ok {
		t.Errorf("%s has managed policies: %v", roleID, arns)
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
		t.Fatalf("%d policies on %s, want 1", n, roleID)
	}
	return statements
}

// function returns the properties of pmdp's function, the one whose
// handler is bootstrap: CDK adds functions of its own.
func (tm template) function(t *testing.T) map[string]any {
	t.Helper()
	var fn map[string]any
	for id, f := range tm.resources("AWS::Lambda::Function") {
		if props(f)["Handler"] != "bootstrap" {
			continue
		}
		if fn != nil {
			t.Fatalf("a second function with handler bootstrap: %s", id)
		}
		fn = props(f)
	}
	if fn == nil {
		t.Fatal("no function with handler bootstrap")
	}
	return fn
}

// stagedCode returns the directory in the cloud assembly outdir that holds
// the code of fn (properties from template.function), as it will be
// zipped and uploaded.
func stagedCode(t *testing.T, outdir string, fn map[string]any) string {
	t.Helper()
	code, _ := fn["Code"].(map[string]any)
	key, _ := code["S3Key"].(string)
	if !strings.HasSuffix(key, ".zip") {
		t.Fatalf("function code %v is not a staged zip asset", fn["Code"])
	}
	return filepath.Join(outdir, "asset."+strings.TrimSuffix(key, ".zip"))
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
	t.Helper()
	id, _ := tm.one(t, typ)
	return id
}

// logBucketID is the logical ID of the log bucket the pipeline creates.
func logBucketID(tm template, t *testing.T) string {
	t.Helper()
	id, _ := tm.named(t, "AWS::S3::Bucket", "PipelineLogBucket")
	return id
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
