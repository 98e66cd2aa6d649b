package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"

	"github.com/pmdp/pmdp/internal/errtest"
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
			DomainName: "collector.example.com", HostedZoneId: "Z0123456789ABCDEFGHIJ", HostedZoneName: "example.com.",
			CertificateArn: cert, SslPolicy: elbv2.SslPolicy_TLS13_13, RedirectHTTPToHTTPS: true, HeartbeatPeriod: time.Hour,
			DesyncMitigationMode: "strictest", IdleTimeout: 30 * time.Second, LogPrefix: "alb/prod",
			RawLogExpirationDays: 7, RemovalPolicy: awscdk.RemovalPolicy_DESTROY, SummaryPrefix: "counts/",
			GroupBy: "hour,query:ev", Format: "jsonl", FunctionMemoryMB: 256, FunctionTimeout: time.Minute,
			ReservedConcurrency: 5, MaxEventAge: time.Hour, AlarmEmail: "ops@example.com",
			RollupPrefix: "daily/", RollupDays: 7, RollupInterval: 15 * time.Minute,
			AthenaDatabaseName: "web_events_2", AthenaBytesScannedCutoffMB: 10,
		}, nil},
		{"status 302 is not a fixed response", &Props{FixedResponseStatus: 302}, []string{"FixedResponseStatus 302"}},
		{"status 1000", &Props{FixedResponseStatus: 1000}, []string{"FixedResponseStatus 1000"}},
		{"content type", &Props{FixedResponseContentType: "image/gif"}, []string{`FixedResponseContentType "image/gif"`}},
		{"body too long", &Props{FixedResponseBody: strings.Repeat("é", 1025)}, []string{"1025 characters, at most 1024"}},
		{"body at the limit", &Props{FixedResponseBody: strings.Repeat("é", 1024)}, nil},
		{"redirect without a domain", &Props{RedirectHTTPToHTTPS: true}, []string{"RedirectHTTPToHTTPS needs DomainName"}},
		{"redirect with a certificate but no domain", &Props{CertificateArn: cert, RedirectHTTPToHTTPS: true},
			[]string{"RedirectHTTPToHTTPS needs DomainName", "CertificateArn needs DomainName"}},
		{"not a certificate", &Props{DomainName: "example.com", CertificateArn: "arn:aws:s3:::bucket"}, []string{"CertificateArn"}},
		{"certificate without a domain", &Props{CertificateArn: cert}, []string{"CertificateArn needs DomainName"}},
		{"old TLS policy", &Props{DomainName: "example.com", CertificateArn: cert, SslPolicy: elbv2.SslPolicy_RECOMMENDED}, []string{"TLS 1.3 policy"}},
		{"the default TLS policy by name", &Props{SslPolicy: elbv2.SslPolicy_RECOMMENDED_TLS}, nil},
		{"domain and zone", &Props{DomainName: "collector.example.com", HostedZoneId: "Z123", HostedZoneName: "example.com"}, nil},
		{"domain at the zone's apex", &Props{DomainName: "example.com", HostedZoneId: "Z123", HostedZoneName: "example.com"}, nil},
		{"domain and certificate, DNS elsewhere", &Props{DomainName: "collector.example.com", CertificateArn: cert}, nil},
		{"domain alone", &Props{DomainName: "collector.example.com"}, []string{`DomainName "collector.example.com" needs a hosted zone`}},
		{"domain outside the zone", &Props{DomainName: "collector.example.org", HostedZoneId: "Z123", HostedZoneName: "example.com"},
			[]string{`DomainName "collector.example.org" is not in the hosted zone "example.com"`}},
		{"a name that only ends alike", &Props{DomainName: "notexample.com", HostedZoneId: "Z123", HostedZoneName: "example.com"},
			[]string{"is not in the hosted zone"}},
		{"zone without a domain", &Props{HostedZoneId: "Z123", HostedZoneName: "example.com"}, []string{"DomainName is not"}},
		{"zone ID without its name", &Props{DomainName: "example.com", HostedZoneId: "Z123"}, []string{"give both or neither"}},
		{"zone name without its ID", &Props{DomainName: "example.com", HostedZoneName: "example.com"}, []string{"give both or neither"}},
		{"zone ID as a path", &Props{DomainName: "example.com", HostedZoneId: "/hostedzone/Z123", HostedZoneName: "example.com"},
			[]string{`HostedZoneId "/hostedzone/Z123": not a Route 53 hosted zone ID`}},
		{"not domain names", &Props{DomainName: "Collector.example.com", HostedZoneId: "Z123", HostedZoneName: "example"},
			[]string{`DomainName "Collector.example.com": not a domain name`, `HostedZoneName "example": not a domain name`}},
		{"wildcard domain", &Props{DomainName: "*.example.com", CertificateArn: cert}, []string{"not a domain name"}},
		{"domain with a trailing dot", &Props{DomainName: "example.com.", CertificateArn: cert}, []string{"not a domain name"}},
		{"label too long", &Props{DomainName: strings.Repeat("a", 64) + ".example.com", CertificateArn: cert}, []string{"not a domain name"}},
		{"heartbeat", &Props{HeartbeatPeriod: 30 * time.Minute}, nil},
		{"heartbeat at the limits", &Props{HeartbeatPeriod: 24 * time.Hour}, nil},
		{"heartbeat too short", &Props{HeartbeatPeriod: 5 * time.Minute}, []string{"HeartbeatPeriod 5m0s"}},
		{"heartbeat too long", &Props{HeartbeatPeriod: 25 * time.Hour}, []string{"HeartbeatPeriod"}},
		{"heartbeat in seconds", &Props{HeartbeatPeriod: 10*time.Minute + time.Second}, []string{"whole minutes"}},
		{"heartbeat negative", &Props{HeartbeatPeriod: -time.Hour}, []string{"HeartbeatPeriod"}},
		{"desync mode", &Props{DesyncMitigationMode: "paranoid"}, []string{"DesyncMitigationMode"}},
		{"idle timeout", &Props{IdleTimeout: 5000 * time.Second}, []string{"IdleTimeout"}},
		{"log prefix with AWSLogs", &Props{LogPrefix: "x/AWSLogs"}, []string{"LogPrefix", "AWSLogs"}},
		{"log prefix with a slash", &Props{LogPrefix: "logs/"}, []string{"LogPrefix"}},
		{"log prefix with S3's safe characters", &Props{LogPrefix: "alb-1/prod_(eu).v2/it's!"}, nil},
		{"log prefix with a space", &Props{LogPrefix: "my logs"}, []string{`LogPrefix "my logs": only letters, digits, /`}},
		{"log prefix with an IAM wildcard", &Props{LogPrefix: "logs*"}, []string{`LogPrefix "logs*"`}},
		{"log prefix with characters S3 wants encoded", &Props{LogPrefix: "a+b"}, []string{"LogPrefix"}},
		{"log prefix with a non-ASCII letter", &Props{LogPrefix: "café"}, []string{"LogPrefix"}},
		{"log prefix with an equals sign", &Props{LogPrefix: "env=prod"}, []string{"LogPrefix"}},
		{"summary prefix without slash", &Props{SummaryPrefix: "summaries"}, []string{"SummaryPrefix", "must end in /"}},
		{"logs under the summary prefix", &Props{LogPrefix: "data/logs", SummaryPrefix: "data/"}, []string{"logs would be refused as summaries"}},
		{"group-by", &Props{GroupBy: "date,colour"}, []string{"GroupBy", "colour"}},
		{"filters", &Props{Include: "bot=maybe", Exclude: "actions=redirect"}, []string{`Include: clause "bot=maybe"`, `Exclude: clause "actions=redirect"`}},
		{"format", &Props{Format: "xml"}, []string{"Format"}},
		{"rollup prefix without slash", &Props{RollupPrefix: "rollups"}, []string{"RollupPrefix", "must end in /"}},
		{"rollup prefix holding the summaries", &Props{RollupPrefix: "data/", SummaryPrefix: "data/summaries/"},
			[]string{"RollupPrefix", "overlap"}},
		{"rollup prefix holding the logs", &Props{LogPrefix: "data/logs", RollupPrefix: "data/"},
			[]string{`RollupPrefix "data/" contains the log prefix "data/logs"`}},
		{"rollup days at the limits", &Props{RollupDays: 366}, nil},
		{"rollup days negative", &Props{RollupDays: -1}, []string{"RollupDays", `"-1"`}},
		{"rollup days over a year", &Props{RollupDays: 367}, []string{"RollupDays"}},
		{"rollup interval at the limits", &Props{RollupInterval: 5 * time.Minute}, nil},
		{"rollup interval of a day", &Props{RollupInterval: 24 * time.Hour}, nil},
		{"rollup interval too short", &Props{RollupInterval: time.Minute}, []string{"RollupInterval 1m0s"}},
		{"rollup interval over a day", &Props{RollupInterval: 25 * time.Hour}, []string{"RollupInterval"}},
		{"rollup interval in seconds", &Props{RollupInterval: 5*time.Minute + 30*time.Second}, []string{"RollupInterval", "whole minutes"}},
		{"rollup interval negative", &Props{RollupInterval: -time.Hour}, []string{"RollupInterval"}},
		{"database name with capitals", &Props{AthenaDatabaseName: "Pmdp"}, []string{`AthenaDatabaseName "Pmdp"`}},
		{"database name with a hyphen", &Props{AthenaDatabaseName: "web-events"}, []string{"AthenaDatabaseName"}},
		{"database name starting with a digit", &Props{AthenaDatabaseName: "2pmdp"}, []string{"AthenaDatabaseName"}},
		{"database name at the limit", &Props{AthenaDatabaseName: strings.Repeat("a", 128)}, nil},
		{"database name too long", &Props{AthenaDatabaseName: strings.Repeat("a", 129)}, []string{"AthenaDatabaseName"}},
		{"scan cutoff under Athena's minimum", &Props{AthenaBytesScannedCutoffMB: 9}, []string{"AthenaBytesScannedCutoffMB 9"}},
		{"scan cutoff negative", &Props{AthenaBytesScannedCutoffMB: -1}, []string{"AthenaBytesScannedCutoffMB"}},
		{"dimensions that make one column", &Props{GroupBy: "date,query:ev,query:EV"},
			[]string{`GroupBy "date,query:ev,query:EV" cannot be an Athena table`, `"query:ev" and "query:EV" would both be the Athena column query_ev`}},
		{"a dimension too long for a column", &Props{GroupBy: "query:" + strings.Repeat("p", 250)}, []string{"255 characters"}},
		{"without Athena, its props go unchecked", &Props{DisableAthena: true, GroupBy: "query:ev,query:EV", AthenaDatabaseName: "Pmdp", AthenaBytesScannedCutoffMB: 1}, nil},
		{"memory", &Props{FunctionMemoryMB: 64}, []string{"FunctionMemoryMB 64"}},
		{"cardinality cap", &Props{MaxGroups: -1}, []string{"MaxGroups"}},
		{"timeout", &Props{FunctionTimeout: 20 * time.Minute}, []string{"FunctionTimeout"}},
		{"fractional timeout", &Props{FunctionTimeout: 1500 * time.Millisecond}, []string{"FunctionTimeout"}},
		{"reserved concurrency", &Props{ReservedConcurrency: -1}, []string{"ReservedConcurrency"}},
		{"event age", &Props{MaxEventAge: 7 * time.Hour}, []string{"MaxEventAge"}},
		{"expiration", &Props{RawLogExpirationDays: -3}, []string{"RawLogExpirationDays"}},
		{"removal policy", &Props{RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT}, []string{"RemovalPolicy"}},
		{"email", &Props{AlarmEmail: "not an address"}, []string{"AlarmEmail"}},
		{"every problem at once", &Props{
			FixedResponseStatus: 301, FixedResponseContentType: "text/xml", RedirectHTTPToHTTPS: true, HeartbeatPeriod: time.Second,
			DomainName: "example.com", LogPrefix: "a b",
			SummaryPrefix: "/s", GroupBy: "x", Format: "csv2", FunctionMemoryMB: 20000,
			RollupPrefix: "r", RollupDays: 1000, RollupInterval: time.Second, AthenaDatabaseName: "X", AthenaBytesScannedCutoffMB: 1,
		}, []string{"FixedResponseStatus", "FixedResponseContentType", "SummaryPrefix", "GroupBy", "Format", "FunctionMemoryMB",
			"HeartbeatPeriod", "needs a hosted zone", "LogPrefix", "RollupPrefix", "RollupDays", "RollupInterval",
			"AthenaDatabaseName", "AthenaBytesScannedCutoffMB"}},
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
			errtest.Mentions(t, err, tt.wantErr...)
		})
	}
}

// A group-by list the function refuses is one problem, not also one for
// the Athena table.
func TestValidateGroupByOnce(t *testing.T) {
	err := (&Props{GroupBy: "date,colour"}).Validate()
	if err == nil || strings.Count(err.Error(), "colour") != 1 || strings.Contains(err.Error(), "Athena") {
		t.Errorf("Validate() = %v, want the unknown dimension once", err)
	}
}

func TestDefaults(t *testing.T) {
	d := Props{}.withDefaults()
	if d.FixedResponseStatus != 204 || d.FixedResponseContentType != "text/plain" || d.LogPrefix != "logs" ||
		d.SummaryPrefix != "summaries/" || d.GroupBy != "date,path" || d.Format != "csv" ||
		d.RemovalPolicy != awscdk.RemovalPolicy_RETAIN || d.RawLogExpirationDays != 90 ||
		d.FunctionMemoryMB != 1024 || d.FunctionTimeout != 5*time.Minute || d.MaxEventAge != 6*time.Hour ||
		d.IdleTimeout != time.Minute || d.DesyncMitigationMode != "defensive" || d.SslPolicy != elbv2.SslPolicy_RECOMMENDED_TLS ||
		d.RollupPrefix != "rollups/" || d.RollupDays != 3 || d.RollupInterval != time.Hour || d.DisableAthena ||
		d.AthenaDatabaseName != "pmdp" || d.AthenaBytesScannedCutoffMB != 1000 {
		t.Errorf("defaults %+v", d)
	}
}

// Whether HTTP redirects is decided in one place, which every use reads.
func TestRedirectsHTTP(t *testing.T) {
	tests := []struct {
		name  string
		props Props
		want  bool
	}{
		{"default", Props{}, false},
		{"HTTPS without redirect", Props{DomainName: "example.com", CertificateArn: "arn"}, false},
		{"redirect", Props{DomainName: "example.com", CertificateArn: "arn", RedirectHTTPToHTTPS: true}, true},
		{"redirect asked for without HTTPS", Props{RedirectHTTPToHTTPS: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.props.withDefaults().redirectsHTTP(); got != tt.want {
				t.Errorf("redirectsHTTP() = %v, want %v", got, tt.want)
			}
		})
	}
}
