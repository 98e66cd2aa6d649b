package pipeline

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/tracker"
)

// Props configures a Pipeline. The zero value is the secure, cheap default
// described in each field's comment.
type Props struct {
	// Vpc to put the load balancer in. Default: a new VPC with one public
	// subnet in each of two availability zones and no NAT gateways (the
	// load balancer has no targets, so nothing needs outbound access).
	Vpc awsec2.IVpc

	// FixedResponseStatus is the HTTP status every request gets: 2xx, 4xx
	// or 5xx. Default: 204 (No Content).
	FixedResponseStatus int
	// FixedResponseContentType is one of text/plain, text/css, text/html,
	// application/javascript, application/json. Default: text/plain.
	FixedResponseContentType string
	// FixedResponseBody is at most 1024 characters. Default: empty.
	FixedResponseBody string
	// DisableTracker leaves out the listener rule that serves the tracker
	// script, t.js, at /t.js, on every listener that answers with the
	// fixed response (HTTP redirected to HTTPS gets it over HTTPS).
	// Default: false, the load balancer serves it.
	DisableTracker bool

	// DomainName is the name clients send events to, such as
	// collector.example.com. It adds an HTTPS listener (port 443) with a
	// certificate for the name, and the collector URL becomes
	// https://<DomainName>/e. The certificate is CertificateArn, or one the
	// construct creates and validates through DNS in the hosted zone. With
	// a hosted zone the construct also points the name at the load
	// balancer (an alias record); without one, point it there yourself.
	// Default: none, HTTP only at the load balancer's own DNS name (which
	// no certificate can cover).
	DomainName string
	// HostedZone is the Route 53 public hosted zone that holds DomainName.
	// Default: none (HostedZoneId and HostedZoneName, or no DNS records).
	HostedZone awsroute53.IHostedZone
	// HostedZoneId and HostedZoneName name that hosted zone as text, for
	// settings that cannot pass an IHostedZone (CDK context): both or
	// neither, and not with HostedZone. Default: none.
	HostedZoneId   string
	HostedZoneName string
	// CertificateArn is an existing ACM certificate that covers DomainName,
	// for the HTTPS listener; needs DomainName. Default: none; with a
	// hosted zone the construct creates the certificate.
	CertificateArn string
	// SslPolicy of the HTTPS listener; must be a TLS 1.3 policy. Default:
	// RECOMMENDED_TLS (ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.3, and
	// 1.2 for older clients).
	SslPolicy elbv2.SslPolicy
	// RedirectHTTPToHTTPS makes the HTTP listener redirect to HTTPS (same
	// host, path and query) instead of answering; needs DomainName.
	// Default: false.
	RedirectHTTPToHTTPS bool

	// AllowInvalidHeaderFields keeps header fields with invalid names.
	// Default: false, the load balancer drops them.
	AllowInvalidHeaderFields bool
	// DesyncMitigationMode is monitor, defensive or strictest. Default:
	// defensive.
	DesyncMitigationMode string
	// DeletionProtection protects the load balancer from deletion.
	// Default: false, so that `cdk destroy` works.
	DeletionProtection bool
	// IdleTimeout of client connections, 1 s to 4000 s. Default: 60 s.
	IdleTimeout time.Duration

	// LogBucket receives the access logs (and, by default, the
	// summaries). It must use SSE-S3 encryption and allow log delivery.
	// Default: a new bucket with SSE-S3, public access blocked, TLS-only
	// access, objects owned by the bucket owner, and the delivery policy.
	LogBucket awss3.IBucket
	// LogPrefix is where in the log bucket the load balancer writes
	// (<prefix>/AWSLogs/...). Default: "logs".
	LogPrefix string
	// RawLogExpirationDays deletes raw access logs this many days after
	// delivery; summaries are kept. Default: 90.
	RawLogExpirationDays int
	// RemovalPolicy of a created log bucket and of Athena's results
	// bucket. With DESTROY, CloudFormation deletes them only once they
	// are empty, every version included: nothing here empties them.
	// Default: RETAIN, so logs and summaries outlive the stack.
	RemovalPolicy awscdk.RemovalPolicy

	// SummaryBucket receives the summaries. With Backfill it also
	// receives the map's results, which Step Functions writes only to a
	// bucket in the state machine's account and region (elsewhere the
	// execution fails with States.ResultWriterFailed): the bucket must be
	// in the stack's. Default: the log bucket.
	SummaryBucket awss3.IBucket
	// SummaryPrefix starts every summary key; it must end in "/".
	// Default: "summaries/".
	SummaryPrefix string
	// GroupBy is the function's group-by list (see the README's
	// dimensions). Default: "date,path".
	GroupBy string
	// Format of the summaries, csv or jsonl. Default: csv.
	Format string
	// Include keeps only the lines that match every clause (`DIM=V1|V2`,
	// clauses separated by `;`, as for summarize --include). Default: none,
	// every line counts.
	Include string
	// Exclude leaves out the lines that match any clause, same syntax.
	// Default: none; with RedirectHTTPToHTTPS, action=redirect is always
	// added, so a redirected request counts once.
	Exclude string
	// ExcludeBots adds bot=yes to Exclude: requests whose user agent is a
	// known crawler's, or a tool's, are not counted. Default: false.
	ExcludeBots bool
	// Distinct adds to every summary and rollup row the distinct count of
	// "visitor" (client IP and user agent) or of "query:NAME" values: the
	// columns distinct and distinct_hll (a HyperLogLog sketch that
	// Athena merges), and to the Athena table and its named queries.
	// Summaries then hold at most 20,000 groups each. Default: "", none.
	Distinct string

	// RollupPrefix starts every daily rollup key, in the summary bucket
	// (<prefix>dt=YYYY-MM-DD/rollup.jsonl); it must end in "/" and be
	// apart from SummaryPrefix. Default: "rollups/".
	RollupPrefix string
	// RollupDays is how many UTC dates, today's included, each sweep
	// rebuilds, 1 to 366; older dates are rolled up as soon as a summary
	// of theirs is written. Default: 3.
	RollupDays int
	// MaxGroups is the cardinality cap of every summary and rollup, 1 to
	// 10,000,000: at most this many groups, the requests of the others in
	// (other) rows, so a flood of distinct paths cannot exhaust the
	// function's memory. Default: 100000.
	MaxGroups int
	// RollupInterval is how often a schedule invokes the function to
	// sweep the rollups: whole minutes from 5 minutes (logs arrive every
	// 5) to 1 day (the function relies on a sweep at least daily). There
	// is no turning it off: without sweeps, the last days' rollups would
	// never be built. Default: 1 hour.
	RollupInterval time.Duration
	// PublishReport has every scheduled sweep write the report of the last
	// 90 days of rollups, one HTML file, to report/index.html in the
	// summary bucket, which stays private: open it through a pre-signed
	// URL.
	// Default: false, no report.
	PublishReport bool

	// Code of the function. Default: built from this module's Go source
	// at synth time for linux/arm64, without Docker.
	Code awslambda.Code
	// FunctionMemoryMB, 128 to 10240. Default: 1024 (enough CPU to
	// inflate and parse at once).
	FunctionMemoryMB int
	// FunctionTimeout, 1 s to 15 min. Default: 5 minutes.
	FunctionTimeout time.Duration
	// ReservedConcurrency caps concurrent invocations. Default: 0, no
	// reservation (the account's unreserved pool is used).
	ReservedConcurrency int
	// FunctionLogRetention of the function's log group. Default: one month.
	FunctionLogRetention awslogs.RetentionDays
	// MaxEventAge is how long Lambda keeps retrying an event (twice at
	// most) before sending it to the failure queue, 1 min to 6 h.
	// Default: 6 hours.
	MaxEventAge time.Duration

	// AlarmTopic receives the alarms; its policy must let
	// cloudwatch.amazonaws.com publish (SNS's default policy does).
	// Default: a new topic (the AlarmTopicArn output), subscribed to
	// AlarmEmail if set, whose policy lets the account's alarms publish.
	AlarmTopic awssns.ITopic
	// AlarmEmail subscribes this address to the new alarm topic. Default:
	// none, nobody is subscribed.
	AlarmEmail string
	// HeartbeatPeriod adds an alarm that fires when the function has not
	// run for this long: no log file was delivered, because no request
	// came or because delivery stopped (load balancers log on a best-effort
	// basis and report no error when they cannot). Whole minutes from 10
	// minutes to 1 day; choose a period longer than your quietest stretch.
	// Default: 0, no heartbeat alarm.
	HeartbeatPeriod time.Duration

	// DisableAthena leaves out the Glue database and table over the
	// rollups, the Athena workgroup, its results bucket and its named
	// queries. Default: false, Athena is set up.
	DisableAthena bool
	// AthenaDatabaseName names the Glue database, which holds the table
	// "rollups", and the Athena workgroup: lowercase letters, digits and
	// _, starting with a letter, at most 128. Both names are unique in an
	// account and region, so give each deployment there its own. Default:
	// "pmdp".
	AthenaDatabaseName string
	// AthenaBytesScannedCutoffMB cancels any query of the workgroup that
	// scans more than this many megabytes (10^6 bytes), at least 10.
	// Default: 1000 (1 GB, half a cent of scanning).
	AthenaBytesScannedCutoffMB int

	// Backfill adds a Step Functions state machine that reprocesses the
	// logs of a range of delivery dates: a Standard workflow whose one
	// Distributed Map lists the log folder and hands the function batches
	// of keys in Express child workflows, then rebuilds the rollups of
	// every date of the range (see the README's "The backfill state
	// machine"). It costs nothing while unused. At list prices (us-east-1,
	// 2026), a year of logs from two load balancer nodes (210,000 files)
	// costs about $2.20 per run: Lambda $0.84 (0.3 s a file at 1 GB),
	// summary PUTs $1.05, GETs $0.17 (of the logs, and of the summaries
	// for the rollups), Express children $0.07, the Standard parent's
	// transitions ($25 per million, a few hundred here) $0.01.
	// Default: false, no state machine.
	Backfill bool
	// BackfillConcurrency is how many batches run at once, each one
	// invocation of the function, 1 to 10,000 (the Distributed Map's
	// most). They share the account's Lambda concurrency (1,000 by
	// default) with the live pipeline (a throttled batch waits and
	// retries, 8 times at most), and may not exceed ReservedConcurrency
	// when that is set. At 0.3 s a file, 100 process about 330 files a
	// second: a year of logs from two nodes in about 11 minutes.
	// Default: 100.
	BackfillConcurrency int
	// BackfillToleratedFailurePercent is the share of listed files, 0 to
	// 100, whose batches may fail (after their retries) before the
	// Distributed Map stops and the execution fails; a failed batch
	// counts all its files. Within the tolerance, the rollups of the
	// range are then rebuilt from what succeeded; beyond it, the execution
	// fails before the rollups, so that a redrive reruns the failed
	// batches and then rolls up. Either way the failed batches are listed
	// in the summary bucket under backfill/<map run id>/. Default: 0: any
	// failure fails the execution, so that it shows and can be redriven;
	// a tolerated failure leaves an execution that succeeded, whose
	// failed files must be reprocessed by hand.
	BackfillToleratedFailurePercent int
}

// Defaults that Props' zero values stand for.
const (
	DefaultFixedResponseStatus        = contract.DefaultResponseStatus
	DefaultFixedResponseContentType   = contract.DefaultResponseContentType
	DefaultLogPrefix                  = contract.DefaultLogPrefix
	DefaultRawLogExpirationDays       = 90
	DefaultFunctionMemoryMB           = 1024
	DefaultFunctionTimeout            = 5 * time.Minute
	DefaultIdleTimeout                = 60 * time.Second
	DefaultMaxEventAge                = 6 * time.Hour
	DefaultDesyncMitigationMode       = "defensive"
	DefaultSslPolicy                  = elbv2.SslPolicy_RECOMMENDED_TLS
	DefaultRollupInterval             = time.Hour
	DefaultAthenaDatabaseName         = "pmdp"
	DefaultAthenaBytesScannedCutoffMB = 1000
	DefaultBackfillConcurrency        = 100

	// The sweep's interval: load balancers deliver logs every 5 minutes,
	// so sweeping more often finds nothing new, and the function rolls up
	// at once only the dates a sweep within a day would miss.
	MinRollupInterval = 5 * time.Minute
	MaxRollupInterval = 24 * time.Hour
	// Athena refuses a smaller per-query cutoff.
	MinAthenaBytesScannedCutoffMB = 10
	// A Distributed Map runs at most this many child workflows at once.
	MaxBackfillConcurrency = 10000

	// The heartbeat alarm's period: load balancers deliver logs every 5
	// minutes, so a shorter silence means nothing; CloudWatch evaluates
	// one period of at most a day here.
	MinHeartbeatPeriod = 10 * time.Minute
	MaxHeartbeatPeriod = 24 * time.Hour
)

var (
	certArn      = regexp.MustCompile(`^arn:aws[a-z-]*:(acm|iam):[a-z0-9-]*:\d{12}:(certificate|server-certificate)/.+$`)
	desyncModes  = []string{"monitor", "defensive", "strictest"}
	domainName   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostedZoneID = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)
	// Glue takes more, but Athena wants lowercase letters, digits and _,
	// and a workgroup name at most 128 characters long.
	athenaName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,127}$`)
)

// The characters a LogPrefix may hold besides letters and digits: S3's
// safe characters for keys, which its notification filter reads as
// themselves, without "*", which IAM reads as a wildcard.
const (
	logPrefixPunct = "! - _ . ' ( )"
	logPrefixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/!-_.'()"
)

// fixedResponse is the listener's answer as the local collector knows it.
func (p Props) fixedResponse() contract.FixedResponse {
	return contract.FixedResponse{Status: p.FixedResponseStatus, ContentType: p.FixedResponseContentType, Body: p.FixedResponseBody}
}

// settings are the function's settings as p gives them; the summary
// bucket, known only as a token, is added by the construct.
func (p Props) settings() contract.Settings {
	s := contract.Settings{SummaryPrefix: p.SummaryPrefix, GroupBy: p.GroupBy, Format: p.Format, Include: p.Include, Exclude: p.Exclude,
		RollupPrefix: p.RollupPrefix, Distinct: p.Distinct}
	if p.ExcludeBots {
		s.Exclude = contract.JoinFilters(s.Exclude, contract.ExcludeBots)
	}
	if p.RollupDays != 0 {
		s.RollupDays = strconv.Itoa(p.RollupDays)
	}
	if p.MaxGroups != 0 {
		s.MaxGroups = strconv.Itoa(p.MaxGroups)
	}
	if p.PublishReport {
		s.Report = contract.ReportKey
	}
	if p.redirectsHTTP() {
		// The load balancer logs the 301 on port 80 and then the request
		// it leads to on 443: count only the second.
		s.Exclude = contract.JoinFilters(s.Exclude, contract.ExcludeRedirects)
	}
	return s
}

// withDefaults returns a copy of p with every zero value replaced by its
// default.
func (p Props) withDefaults() Props {
	fr := p.fixedResponse().WithDefaults()
	p.FixedResponseStatus, p.FixedResponseContentType = fr.Status, fr.ContentType
	setDefault(&p.SslPolicy, DefaultSslPolicy)
	setDefault(&p.DesyncMitigationMode, DefaultDesyncMitigationMode)
	setDefault(&p.IdleTimeout, DefaultIdleTimeout)
	setDefault(&p.LogPrefix, DefaultLogPrefix)
	setDefault(&p.RawLogExpirationDays, DefaultRawLogExpirationDays)
	setDefault(&p.RemovalPolicy, awscdk.RemovalPolicy_RETAIN)
	s := p.settings().WithDefaults()
	p.SummaryPrefix, p.GroupBy, p.Format, p.RollupPrefix = s.SummaryPrefix, s.GroupBy, s.Format, s.RollupPrefix
	if p.RollupDays == 0 {
		p.RollupDays, _ = contract.ParseRollupDays(contract.DefaultRollupDays)
	}
	if p.MaxGroups == 0 {
		p.MaxGroups, _ = contract.ParseMaxGroups(contract.DefaultMaxGroups)
	}
	setDefault(&p.RollupInterval, DefaultRollupInterval)
	setDefault(&p.AthenaDatabaseName, DefaultAthenaDatabaseName)
	setDefault(&p.AthenaBytesScannedCutoffMB, DefaultAthenaBytesScannedCutoffMB)
	setDefault(&p.FunctionMemoryMB, DefaultFunctionMemoryMB)
	setDefault(&p.FunctionTimeout, DefaultFunctionTimeout)
	setDefault(&p.FunctionLogRetention, awslogs.RetentionDays_ONE_MONTH)
	setDefault(&p.MaxEventAge, DefaultMaxEventAge)
	setDefault(&p.BackfillConcurrency, DefaultBackfillConcurrency)
	return p
}

// setDefault sets *v to def when *v is the zero value.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate checks p as CloudFormation and ALB would, before synth, and
// reports every problem at once. A nil *Props is the default and valid.
func (p *Props) Validate() error {
	if p == nil {
		return nil
	}
	v := p.withDefaults()
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := v.fixedResponse().Validate("FixedResponse"); err != nil {
		errs = append(errs, err)
	}
	if !v.DisableTracker {
		// t.js is ours, not the user's: this fails only for a script
		// grown past the limit, which the tracker's tests catch first.
		if err := tracker.Response().Validate("tracker script: "); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, v.validateDomain()...)
	if v.CertificateArn != "" && !certArn.MatchString(v.CertificateArn) {
		add("CertificateArn %q: not an ACM or IAM certificate ARN", v.CertificateArn)
	}
	if v.RedirectHTTPToHTTPS && v.DomainName == "" {
		add("RedirectHTTPToHTTPS needs DomainName: there is no HTTPS listener to redirect to")
	}
	if v.SslPolicy != DefaultSslPolicy && !strings.Contains(string(v.SslPolicy), "TLS13") {
		add("SslPolicy %q: must be a TLS 1.3 policy", v.SslPolicy)
	}
	if !slices.Contains(desyncModes, v.DesyncMitigationMode) {
		add("DesyncMitigationMode %q: must be one of %s", v.DesyncMitigationMode, strings.Join(desyncModes, ", "))
	}
	if v.IdleTimeout < time.Second || v.IdleTimeout > 4000*time.Second || v.IdleTimeout%time.Second != 0 {
		add("IdleTimeout %v: must be whole seconds from 1 s to 4000 s", v.IdleTimeout)
	}
	if err := contract.ValidateLogPrefix(v.LogPrefix); err != nil {
		add("LogPrefix: %v", err)
	}
	// The prefix goes as is into the S3 notification filter, which wants
	// anything beyond S3's safe characters percent-encoded, and into IAM
	// resources and the lifecycle rule, which want it unencoded: only
	// characters all three read alike may appear.
	if strings.ContainsFunc(v.LogPrefix, notLogPrefixChar) {
		add("LogPrefix %q: only letters, digits, / and the characters %s may appear", v.LogPrefix, logPrefixPunct)
	}
	if v.RawLogExpirationDays < 1 {
		add("RawLogExpirationDays %d: must be at least 1", v.RawLogExpirationDays)
	}
	switch v.RemovalPolicy {
	case awscdk.RemovalPolicy_RETAIN, awscdk.RemovalPolicy_DESTROY, awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE:
	default:
		add("RemovalPolicy %q: must be RETAIN, DESTROY or RETAIN_ON_UPDATE_OR_DELETE", v.RemovalPolicy)
	}
	if err := v.settings().ValidateAs(contract.ByField); err != nil {
		errs = append(errs, err)
	}
	if p.SummaryBucket == nil {
		if err := contract.ValidateSameBucket(v.LogPrefix, v.SummaryPrefix); err != nil {
			add("SummaryPrefix: %v", err)
		}
		// The function refuses keys under the rollup prefix too.
		if strings.HasPrefix(contract.NotificationFilter(v.LogPrefix).Prefix, v.RollupPrefix) {
			add("RollupPrefix %q contains the log prefix %q: logs would be refused as rollups", v.RollupPrefix, v.LogPrefix)
		}
	}
	if r := v.RollupInterval; r < MinRollupInterval || r > MaxRollupInterval || r%time.Minute != 0 {
		add("RollupInterval %v: must be whole minutes from %v to %v", r, MinRollupInterval, MaxRollupInterval)
	}
	if !v.DisableAthena {
		errs = append(errs, v.validateAthena()...)
	}
	if v.FunctionMemoryMB < 128 || v.FunctionMemoryMB > 10240 {
		add("FunctionMemoryMB %d: must be from 128 to 10240", v.FunctionMemoryMB)
	}
	if v.FunctionTimeout < time.Second || v.FunctionTimeout > 15*time.Minute || v.FunctionTimeout%time.Second != 0 {
		add("FunctionTimeout %v: must be whole seconds from 1 s to 15 min", v.FunctionTimeout)
	}
	if v.ReservedConcurrency < 0 {
		add("ReservedConcurrency %d: must not be negative", v.ReservedConcurrency)
	}
	if v.MaxEventAge < time.Minute || v.MaxEventAge > 6*time.Hour || v.MaxEventAge%time.Second != 0 {
		add("MaxEventAge %v: must be whole seconds from 1 min to 6 h", v.MaxEventAge)
	}
	if v.AlarmEmail != "" {
		if addr, err := mail.ParseAddress(v.AlarmEmail); err != nil || addr.Address != v.AlarmEmail {
			add("AlarmEmail %q: not an email address", v.AlarmEmail)
		}
		if v.AlarmTopic != nil {
			add("AlarmEmail and AlarmTopic are both set: subscribe the address to your topic instead")
		}
	}
	if v.Backfill {
		errs = append(errs, v.validateBackfill()...)
	}
	if h := v.HeartbeatPeriod; h != 0 && (h < MinHeartbeatPeriod || h > MaxHeartbeatPeriod || h%time.Minute != 0) {
		add("HeartbeatPeriod %v: must be whole minutes from %v to %v (or 0 for none)", h, MinHeartbeatPeriod, MaxHeartbeatPeriod)
	}
	return errors.Join(errs...)
}

// validateDomain checks the domain name, its hosted zone and its
// certificate: every HTTPS listener needs a certificate that covers the
// name clients use.
func (p Props) validateDomain() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.DomainName != "" && !isDomainName(p.DomainName) {
		add("DomainName %q: not a domain name (lowercase letters, digits and hyphens in dot-separated labels, no trailing dot)", p.DomainName)
	}
	if p.HostedZone != nil && (p.HostedZoneId != "" || p.HostedZoneName != "") {
		add("HostedZone and HostedZoneId/HostedZoneName are both set: give the zone one way")
	}
	if (p.HostedZoneId == "") != (p.HostedZoneName == "") {
		add("HostedZoneId %q and HostedZoneName %q: give both or neither", p.HostedZoneId, p.HostedZoneName)
	}
	if p.HostedZoneId != "" && !hostedZoneID.MatchString(p.HostedZoneId) {
		add("HostedZoneId %q: not a Route 53 hosted zone ID (such as Z0123456789ABCDEFGHIJ)", p.HostedZoneId)
	}
	zoneName := strings.TrimSuffix(p.HostedZoneName, ".")
	if p.HostedZoneName != "" && !isDomainName(zoneName) {
		add("HostedZoneName %q: not a domain name", p.HostedZoneName)
	}
	zone := p.HostedZone != nil || p.HostedZoneId != "" || p.HostedZoneName != ""
	switch {
	case p.DomainName == "" && zone:
		add("a hosted zone is set but DomainName is not: name the collector's domain")
	case p.DomainName == "" && p.CertificateArn != "":
		add("CertificateArn needs DomainName: no certificate covers the load balancer's own name, so clients must use a name of yours")
	case p.DomainName != "" && !zone && p.CertificateArn == "":
		add("DomainName %q needs a hosted zone (HostedZone, or HostedZoneId and HostedZoneName) to create and validate its certificate, or CertificateArn", p.DomainName)
	case p.DomainName != "" && zoneName != "" && p.DomainName != zoneName && !strings.HasSuffix(p.DomainName, "."+zoneName):
		add("DomainName %q is not in the hosted zone %q", p.DomainName, zoneName)
	}
	return errs
}

// isDomainName reports whether name is a fully qualified host name as
// ACM and Route 53 take it: at least two labels.
func isDomainName(name string) bool {
	return len(name) <= 253 && domainName.MatchString(name)
}

func notLogPrefixChar(r rune) bool {
	return !strings.ContainsRune(logPrefixChars, r)
}

// servesHTTPS reports whether there is an HTTPS listener: there is one for
// a domain name, which always comes with a certificate.
func (p Props) servesHTTPS() bool { return p.DomainName != "" }

// redirectsHTTP reports whether the HTTP listener answers with a redirect
// to HTTPS rather than the fixed response. The load balancer logs such a
// request (action "redirect") and then the client's second request over
// HTTPS, so this is the one place that knows a request may be logged
// twice.
func (p Props) redirectsHTTP() bool { return p.RedirectHTTPToHTTPS && p.servesHTTPS() }
