package pipeline

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"

	"github.com/pmdp/pmdp/internal/errtest"
)

func TestContextKey(t *testing.T) {
	for field, want := range map[string]string{
		"GroupBy":             "groupBy",
		"DomainName":          "domainName",
		"HostedZoneId":        "hostedZoneId",
		"SslPolicy":           "sslPolicy",
		"FunctionMemoryMB":    "functionMemoryMB",
		"RedirectHTTPToHTTPS": "redirectHTTPToHTTPS",
		"HTTPSPort":           "httpsPort",
		"URL":                 "url",
		"Vpc":                 "vpc",
		"A":                   "a",
	} {
		if got := ContextKey(field); got != want {
			t.Errorf("ContextKey(%q) = %q, want %q", field, got, want)
		}
	}
}

func TestPropsFromContext(t *testing.T) {
	tests := []struct {
		name    string
		context map[string]any
		want    Props
		wantErr []string // each must appear; none means no error
	}{
		{"nothing", nil, Props{}, nil},
		{"as -c key=value gives them: text", map[string]any{
			"groupBy": "date,query:ev", "format": "jsonl", "domainName": "collector.example.com",
			"hostedZoneId": "Z123", "hostedZoneName": "example.com", "fixedResponseBody": "",
			"redirectHTTPToHTTPS": "true", "deletionProtection": "1", "functionMemoryMB": "512",
			"heartbeatPeriod": "1h30m", "sslPolicy": "TLS13_13", "removalPolicy": "DESTROY",
		}, Props{
			GroupBy: "date,query:ev", Format: "jsonl", DomainName: "collector.example.com",
			HostedZoneId: "Z123", HostedZoneName: "example.com",
			RedirectHTTPToHTTPS: true, DeletionProtection: true, FunctionMemoryMB: 512,
			HeartbeatPeriod: 90 * time.Minute, SslPolicy: elbv2.SslPolicy_TLS13_13, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		}, nil},
		{"as cdk.json gives them: JSON values", map[string]any{
			"groupBy": "date", "redirectHTTPToHTTPS": true, "functionMemoryMB": 512.0, "reservedConcurrency": -1.0, "idleTimeout": "30s",
		}, Props{GroupBy: "date", RedirectHTTPToHTTPS: true, FunctionMemoryMB: 512, ReservedConcurrency: -1, IdleTimeout: 30 * time.Second}, nil},
		{"other keys are left alone", map[string]any{
			"region": "eu-west-1", "@aws-cdk/aws-iam:minimizePolicies": true, "aws:cdk:enable-path-metadata": true,
			"cli-telemetry": false, "hosted-zone:account=123456789012:domainName=example.com:region=us-east-1": map[string]any{"Id": "Z1"},
			"acknowledged-issue-numbers": []any{1.0},
		}, Props{}, nil},
		{"not a number", map[string]any{"functionMemoryMB": "lots"}, Props{},
			[]string{`context key "functionMemoryMB" (FunctionMemoryMB): "lots" is not a whole number`}},
		{"not a whole number", map[string]any{"functionMemoryMB": 1.5}, Props{}, []string{"1.5 is not a whole number"}},
		{"out of range", map[string]any{"fixedResponseStatus": "99999999999999999999"}, Props{}, []string{"is not a whole number"}},
		{"a JSON number out of range", map[string]any{"fixedResponseStatus": 1e300}, Props{}, []string{"1e+300 is not a whole number"}},
		{"not a boolean", map[string]any{"deletionProtection": "yes"}, Props{},
			[]string{`context key "deletionProtection" (DeletionProtection): "yes" is not true or false`}},
		{"a number for a boolean", map[string]any{"deletionProtection": 1.0}, Props{}, []string{"1 is not true or false"}},
		{"a duration without its unit", map[string]any{"heartbeatPeriod": "60"}, Props{}, []string{`"60" is not a duration`}},
		{"a number for a duration", map[string]any{"heartbeatPeriod": 60.0}, Props{}, []string{"60 is not a duration"}},
		{"a number for text", map[string]any{"groupBy": 5.0}, Props{}, []string{`context key "groupBy" (GroupBy): 5 is not text`}},
		{"a key in the wrong case", map[string]any{"groupby": "date"}, Props{}, []string{`context key "groupby" sets nothing: did you mean "groupBy"?`}},
		{"a misspelt key", map[string]any{"domianName": "example.com"}, Props{}, []string{`did you mean "domainName"?`}},
		{"a key cut short", map[string]any{"domain": "example.com"}, Props{}, []string{`did you mean "domainName"?`}},
		{"a prop context cannot set", map[string]any{"vpc": "vpc-0123"}, Props{},
			[]string{`context key "vpc": Vpc (awsec2.IVpc) cannot be set from context`}},
		{"every problem at once", map[string]any{"groupby": "date", "functionMemoryMB": "lots", "heartbeatPeriod": "soon", "hostedZone": "Z1"}, Props{},
			[]string{`"groupby"`, `"functionMemoryMB"`, `"heartbeatPeriod"`, `"hostedZone": HostedZone`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PropsFromContext(tt.context)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("PropsFromContext = %+v, want an error", *got)
				}
				errtest.Mentions(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("PropsFromContext: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("PropsFromContext =\n %+v\nwant\n %+v", *got, tt.want)
			}
		})
	}
}

// Every prop that holds text, a whole number, a boolean or a duration can be
// set from context, in both forms a value comes in, and sets that prop
// alone; every other prop is one that only code can give (a construct or
// a CDK object). A new prop of another type fails here until context can
// set it or it is made one of these.
func TestEveryPropReachableByContext(t *testing.T) {
	n := 0
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Props]()) {
		if !fromContext(f.Type) {
			if f.Type.Kind() != reflect.Interface {
				t.Errorf("Props.%s (%v): context cannot set it, and it is not a construct or CDK object", f.Name, f.Type)
			}
			continue
		}
		n++
		key := ContextKey(f.Name)
		text, typed := any("x-"+key), any("x-"+key)
		want := reflect.New(f.Type).Elem()
		switch {
		case f.Type == durationType:
			text, typed = "90s", "90s"
			want.SetInt(int64(90 * time.Second))
		case f.Type.Kind() == reflect.String:
			want.SetString("x-" + key)
		case f.Type.Kind() == reflect.Bool:
			text, typed = "true", true
			want.SetBool(true)
		default:
			text, typed = "7", 7.0
			want.SetInt(7)
		}
		for _, value := range []any{text, typed} {
			p, err := PropsFromContext(map[string]any{key: value})
			if err != nil {
				t.Errorf("%s=%v: %v", key, value, err)
				continue
			}
			got := reflect.ValueOf(*p)
			if !reflect.DeepEqual(got.FieldByIndex(f.Index).Interface(), want.Interface()) {
				t.Errorf("%s=%v set %s to %v, want %v", key, value, f.Name, got.FieldByIndex(f.Index), want)
			}
			other := *p
			reflect.ValueOf(&other).Elem().FieldByIndex(f.Index).SetZero()
			if !reflect.ValueOf(other).IsZero() {
				t.Errorf("%s=%v set more than %s: %+v", key, value, f.Name, *p)
			}
		}
	}
	if n != len(ContextKeys()) || n < 25 {
		t.Errorf("%d props reachable, ContextKeys has %d", n, len(ContextKeys()))
	}
}

// The README documents every context key.
func TestContextKeysInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range ContextKeys() {
		if !strings.Contains(string(readme), "`"+key+"`") {
			t.Errorf("README.md does not document the context key `%s`", key)
		}
	}
}

// Context reaches the template the way the app passes it: -c values as
// strings, read back from the App.
func TestContextConfiguresTheStack(t *testing.T) {
	app := NewApp(map[string]any{
		"groupBy": "date,query:ev", "domainName": "collector.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ",
		"hostedZoneName": "example.com", "redirectHTTPToHTTPS": "true", "heartbeatPeriod": "30m",
	}, t.TempDir())
	props, err := PropsFromContext(app.Node().GetAllContext(nil).(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	tm := templateOf(t, NewStack(app, "Pmdp", &StackProps{StackProps: awscdk.StackProps{Env: testEnv}, Pipeline: props}))
	jsonEq(t, "CollectorUrl", tm["Outputs"].(map[string]any)["CollectorUrl"].(map[string]any)["Value"], "https://collector.example.com/e")
	if env, _ := json.Marshal(tm.function(t)["Environment"]); !strings.Contains(string(env), `"PMDP_GROUP_BY":"date,query:ev"`) {
		t.Errorf("environment %s", env)
	}
	if a, _ := json.Marshal(listenerOn(t, tm, 80)["DefaultActions"]); !strings.Contains(string(a), `"Type":"redirect"`) {
		t.Errorf("HTTP listener actions %s, want the redirect", a)
	}
	if n := len(tm.resources("AWS::Route53::RecordSet")); n != 1 {
		t.Errorf("%d DNS records, want 1", n)
	}
	if n := len(tm.resources("AWS::CloudWatch::Alarm")); n != 3 {
		t.Errorf("%d alarms, want 3 with the heartbeat", n)
	}
}
