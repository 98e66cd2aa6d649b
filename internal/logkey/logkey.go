// Package logkey tells what a load balancer wrote into an S3 object from
// the object's key alone, before anything is downloaded.
package logkey

import (
	"path"
	"regexp"
	"strings"
	"time"
)

// Kind is what an object under a load balancer's log prefix holds.
type Kind uint8

const (
	Other         Kind = iota // anything else
	ALBAccess                 // Application Load Balancer access log (.log.gz)
	ClassicAccess             // Classic Load Balancer access log (.log)
	Connection                // ALB connection log (conn_log_…)
	HealthCheck               // ALB health-check log (health_check_log_…)
	NLBAccess                 // Network Load Balancer access log (…_net.…)
	TestFile                  // the ELBAccessLogTestFile written when logging is enabled
)

var kindNames = [...]string{
	Other:         "other",
	ALBAccess:     "alb-access",
	ClassicAccess: "classic-access",
	Connection:    "connection",
	HealthCheck:   "health-check",
	NLBAccess:     "nlb-access",
	TestFile:      "test-file",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// IsAccessLog reports whether k holds HTTP access-log lines pmdp counts.
func (k Kind) IsAccessLog() bool { return k == ALBAccess || k == ClassicAccess }

// Info is what a log object's key says about it.
type Info struct {
	Kind         Kind
	Account      string    // AWS account ID
	Region       string    // region of the load balancer
	LoadBalancer string    // app.<name>.<id>, net.<name>.<id> or the Classic name
	End          time.Time // end of the interval the file covers; zero if unknown
}

// The file names AWS documents, after the optional conn_log_ or
// health_check_log_ (or with a dot) prefix:
//
//	<account>_elasticloadbalancing_<region>_<lb>_<end>_<ip>_<random>.log.gz (ALB)
//	<account>_elasticloadbalancing_<region>_<lb>_<end>_<random>.log.gz     (NLB)
//	<account>_elasticloadbalancing_<region>_<lb>_<end>_<ip>_<random>.log    (Classic)
var fileName = regexp.MustCompile(`^(conn_log[._]|health_check_log[._])?` +
	`(\d{12})_elasticloadbalancing_([a-z0-9-]+)_([^_]+)_(\d{8}T\d{4}Z)_([^_]+)(?:_([^_]+))?\.(log\.gz|log)$`)

// Classify tells what the object at key (or a local file at that path)
// holds, from its file name alone, so that files copied out of the bucket
// into any folder are still recognised.
func Classify(key string) Info {
	name := path.Base(key)
	if name == "ELBAccessLogTestFile" {
		return Info{Kind: TestFile}
	}
	m := fileName.FindStringSubmatch(name)
	if m == nil {
		return Info{Kind: Other}
	}
	info := Info{Account: m[2], Region: m[3], LoadBalancer: m[4]}
	end, err := time.Parse("20060102T1504Z", m[5])
	if err != nil {
		return Info{Kind: Other} // not a time: not a name AWS wrote
	}
	info.End = end
	compressed := m[8] == "log.gz"
	ipAndRandom := m[7] != ""
	switch {
	case strings.HasPrefix(m[1], "conn_log"):
		info.Kind = Connection
	case strings.HasPrefix(m[1], "health_check_log"):
		info.Kind = HealthCheck
	case strings.HasPrefix(info.LoadBalancer, "net."):
		info.Kind = NLBAccess
	case strings.HasPrefix(info.LoadBalancer, "app.") && compressed && ipAndRandom:
		info.Kind = ALBAccess
	case !strings.Contains(info.LoadBalancer, ".") && !compressed && ipAndRandom:
		info.Kind = ClassicAccess
	default:
		info.Kind = Other
	}
	return info
}

// BaseName is the object's file name without .log.gz or .log: the stem
// summaries of the file are named after.
func BaseName(key string) string {
	name := path.Base(key)
	if s, ok := strings.CutSuffix(name, ".log.gz"); ok {
		return s
	}
	return strings.TrimSuffix(name, ".log")
}
