package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
)

// Validation is plain Go: these cases need no Node process.
func TestValidate(t *testing.T) {
	const cert = "arn:aws:acm:us-east-1:123456789012:certificate/8c1f3a5e-4b2d-4e8f-9a6b-2d7c0e1f3a4b"
	tests := []struct {
		name    string
		props   *Props
		wantErr []string // each must appear; none means valid
	}{
		{"nil is the default", nil, nil},
		{"zero value", &Props{}, nil},
		{"everything set well", &Props{
			FixedResponseStatus: 200, FixedResponseContentType: "application/json", FixedResponseBody: `{"ok":true}`,
			CertificateArn: cert, SslPolicy: elbv2.SslPolicy_TLS13_13, RedirectHTTPToHTTPS: true,
			DesyncMitigationMode: "strictest", IdleTimeout: 30 * time.Second, LogPrefix: "alb/prod",
			RawLogExpirationDays: 7, RemovalPolicy: awscdk.RemovalPolicy_DESTROY, SummaryPrefix: "counts/",
			GroupBy: "hour,query:ev", Format: "jsonl", FunctionMemoryMB: 256, FunctionTimeout: time.Minute,
			ReservedConcurrency: 5, MaxEventAge: time.Hour, AlarmEmail: "ops@example.com",
		}, nil},
		{"status 302 is not a fixed response", &Props{FixedResponseStatus: 302}, []string{"FixedResponseStatus 302"}},
		{"status 1000", &Props{FixedResponseStatus: 1000}, []string{"FixedResponseStatus 1000"}},
		{"content type", &Props{FixedResponseContentType: "image/gif"}, []string{`FixedResponseContentType "image/gif"`}},
		{"body too long", &Props{FixedResponseBody: strings.Repeat("é", 1025)}, []string{"1025 characters, at most 1024"}},
		{"body at the limit", &Props{FixedResponseBody: strings.Repeat("é", 1024)}, nil},
		{"redirect without certificate", &Props{RedirectHTTPToHTTPS: true}, []string{"RedirectHTTPToHTTPS needs CertificateArn"}},
		{"not a certificate", &Props{CertificateArn: "arn:aws:s3:::bucket"}, []string{"CertificateArn"}},
		{"old TLS policy", &Props{CertificateArn: cert, SslPolicy: elbv2.SslPolicy_RECOMMENDED}, []string{"TLS 1.3 policy"}},
		{"desync mode", &Props{DesyncMitigationMode: "paranoid"}, []string{"DesyncMitigationMode"}},
		{"idle timeout", &Props{IdleTimeout: 5000 * time.Second}, []string{"IdleTimeout"}},
		{"log prefix with AWSLogs", &Props{LogPrefix: "x/AWSLogs"}, []string{"LogPrefix", "AWSLogs"}},
		{"log prefix with a slash", &Props{LogPrefix: "logs/"}, []string{"LogPrefix"}},
		{"summary prefix without slash", &Props{SummaryPrefix: "summaries"}, []string{"SummaryPrefix", "must end in /"}},
		{"logs under the summary prefix", &Props{LogPrefix: "data/logs", SummaryPrefix: "data/"}, []string{"logs would be refused as summaries"}},
		{"group-by", &Props{GroupBy: "date,colour"}, []string{"GroupBy", "colour"}},
		{"format", &Props{Format: "xml"}, []string{"Format"}},
		{"memory", &Props{FunctionMemoryMB: 64}, []string{"FunctionMemoryMB 64"}},
		{"timeout", &Props{FunctionTimeout: 20 * time.Minute}, []string{"FunctionTimeout"}},
		{"fractional timeout", &Props{FunctionTimeout: 1500 * time.Millisecond}, []string{"FunctionTimeout"}},
		{"reserved concurrency", &Props{ReservedConcurrency: -1}, []string{"ReservedConcurrency"}},
		{"event age", &Props{MaxEventAge: 7 * time.Hour}, []string{"MaxEventAge"}},
		{"expiration", &Props{RawLogExpirationDays: -3}, []string{"RawLogExpirationDays"}},
		{"removal policy", &Props{RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT}, []string{"RemovalPolicy"}},
		{"email", &Props{AlarmEmail: "not an address"}, []string{"AlarmEmail"}},
		{"every problem at once", &Props{
			FixedResponseStatus: 301, FixedResponseContentType: "text/xml", RedirectHTTPToHTTPS: true,
			SummaryPrefix: "/s", GroupBy: "x", Format: "csv2", FunctionMemoryMB: 20000,
		}, []string{"FixedResponseStatus", "FixedResponseContentType", "RedirectHTTPToHTTPS", "SummaryPrefix", "GroupBy", "Format", "FunctionMemoryMB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.props.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	d := Props{}.withDefaults()
	if d.FixedResponseStatus != 204 || d.FixedResponseContentType != "text/plain" || d.LogPrefix != "logs" ||
		d.SummaryPrefix != "summaries/" || d.GroupBy != "date,path" || d.Format != "csv" ||
		d.RemovalPolicy != awscdk.RemovalPolicy_RETAIN || d.RawLogExpirationDays != 90 ||
		d.FunctionMemoryMB != 1024 || d.FunctionTimeout != 5*time.Minute || d.MaxEventAge != 6*time.Hour ||
		d.IdleTimeout != time.Minute || d.DesyncMitigationMode != "defensive" || d.SslPolicy != elbv2.SslPolicy_RECOMMENDED_TLS {
		t.Errorf("defaults %+v", d)
	}
}
