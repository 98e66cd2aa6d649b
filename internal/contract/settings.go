// Package contract is what the CDK construct, the Lambda function and the
// pmdp command agree on: the function's settings with their environment
// variables, defaults and rules, the load balancer's fixed response, and
// the notification filter that sends access logs to the function.
//
// It imports only the standard library, so the construct can validate its
// props without linking the function's runtime (S3 client, gzip, parser).
package contract

import (
	"errors"
	"fmt"
)

// The environment variables that configure the function.
const (
	EnvSummaryBucket = "PMDP_SUMMARY_BUCKET"
	EnvSummaryPrefix = "PMDP_SUMMARY_PREFIX"
	EnvGroupBy       = "PMDP_GROUP_BY"
	EnvFormat        = "PMDP_FORMAT"
	EnvInclude       = "PMDP_INCLUDE"
	EnvExclude       = "PMDP_EXCLUDE"
	EnvRollupPrefix  = "PMDP_ROLLUP_PREFIX"
	EnvRollupDays    = "PMDP_ROLLUP_DAYS"
	EnvMaxGroups     = "PMDP_MAX_GROUPS"
	EnvDistinct      = "PMDP_DISTINCT"
)

// Defaults of the settings.
const (
	DefaultSummaryPrefix = "summaries/"
	DefaultGroupBy       = "date,path"
	DefaultFormat        = "csv"
	DefaultRollupPrefix  = "rollups/"
	DefaultRollupDays    = "3"
	DefaultMaxGroups     = "100000"
)

// Settings configure the function. Each is text, as the function's
// environment holds it, and "" stands for its default. The construct fills
// them from its props, the function from its environment and the pmdp
// command from its flags; all three check them with the same Validate.
type Settings struct {
	// SummaryBucket receives the summaries; "" means the bucket the log
	// is in.
	SummaryBucket string
	// SummaryPrefix starts every summary key; see ValidateSummaryPrefix.
	SummaryPrefix string
	// GroupBy is a comma-separated list of dimensions; see ParseGroupBy.
	GroupBy string
	// Format of the summaries: one of Formats.
	Format string
	// Include and Exclude are filters (see ParseFilter): only the lines
	// that match every clause of Include and no clause of Exclude are
	// counted; "" keeps every line.
	Include string
	Exclude string
	// RollupPrefix starts every daily rollup key, in the summary bucket;
	// see ValidateRollupPrefix.
	RollupPrefix string
	// RollupDays is how many UTC dates, today's included, the scheduled
	// sweep rebuilds; see ParseRollupDays.
	RollupDays string
	// Report is the key, in the summary bucket, that each rollup sweep
	// publishes the report of the rollups to; "" publishes none. See
	// ValidateReportKey.
	Report string
	// MaxGroups is the most groups a summary or rollup holds; the requests
	// of the others are counted in (other) rows. See ParseMaxGroups.
	MaxGroups string
	// Distinct is what every row counts the distinct values of, in a
	// HyperLogLog sketch: DistinctVisitor or a query:NAME; "" counts none.
	// See ValidateDistinct.
	Distinct string
}

// A Setting is one field of Settings under the names it goes by.
type Setting struct {
	Field   string // the Settings field, and the construct's prop: "GroupBy"
	Env     string // the function's environment variable: "PMDP_GROUP_BY"
	Flag    string // the pmdp command's flag, without dashes: "group-by"
	Default string

	value func(*Settings) *string
	check func(string) error // nil: any value goes
	// checkWith checks the setting against the others, once check passed.
	checkWith func(Settings) error
}

// settings lists every setting once; adding one is a field of Settings
// and a row here.
var settings = []Setting{
	{Field: "SummaryBucket", Env: EnvSummaryBucket, Flag: "summary-bucket",
		value: func(s *Settings) *string { return &s.SummaryBucket }},
	{Field: "SummaryPrefix", Env: EnvSummaryPrefix, Flag: "summary-prefix", Default: DefaultSummaryPrefix,
		value: func(s *Settings) *string { return &s.SummaryPrefix }, check: ValidateSummaryPrefix},
	{Field: "GroupBy", Env: EnvGroupBy, Flag: "group-by", Default: DefaultGroupBy,
		value: func(s *Settings) *string { return &s.GroupBy }, check: validateGroupBy},
	{Field: "Format", Env: EnvFormat, Flag: "format", Default: DefaultFormat,
		value: func(s *Settings) *string { return &s.Format }, check: ValidateFormat},
	{Field: "Include", Env: EnvInclude, Flag: "include",
		value: func(s *Settings) *string { return &s.Include }, check: validateFilter},
	{Field: "Exclude", Env: EnvExclude, Flag: "exclude",
		value: func(s *Settings) *string { return &s.Exclude }, check: validateFilter},
	{Field: "RollupPrefix", Env: EnvRollupPrefix, Flag: "rollup-prefix", Default: DefaultRollupPrefix,
		value: func(s *Settings) *string { return &s.RollupPrefix }, check: ValidateRollupPrefix,
		checkWith: func(s Settings) error { return ValidatePrefixesApart(s.SummaryPrefix, s.RollupPrefix) }},
	{Field: "RollupDays", Env: EnvRollupDays, Flag: "rollup-days", Default: DefaultRollupDays,
		value: func(s *Settings) *string { return &s.RollupDays }, check: validateRollupDays},
	{Field: "Report", Env: EnvReport, Flag: "report",
		value: func(s *Settings) *string { return &s.Report }, check: ValidateReportKey, checkWith: validateReportApart},
	{Field: "MaxGroups", Env: EnvMaxGroups, Flag: "max-groups", Default: DefaultMaxGroups,
		value: func(s *Settings) *string { return &s.MaxGroups }, check: validateMaxGroups},
	{Field: "Distinct", Env: EnvDistinct, Flag: "distinct",
		value: func(s *Settings) *string { return &s.Distinct }, check: ValidateDistinct},
}

// Ways to name a setting in an error, for ValidateAs: ByEnv for the
// function, ByField for the construct, ByFlag for the pmdp command.
func ByEnv(s Setting) string   { return s.Env }
func ByField(s Setting) string { return s.Field }
func ByFlag(s Setting) string  { return "--" + s.Flag }

// SettingsFromEnv reads the settings from the function's environment
// through getenv (os.Getenv in production).
func SettingsFromEnv(getenv func(string) string) Settings {
	var s Settings
	for _, st := range settings {
		*st.value(&s) = getenv(st.Env)
	}
	return s
}

// WithDefaults returns s with every empty setting set to its default.
func (s Settings) WithDefaults() Settings {
	for _, st := range settings {
		if v := st.value(&s); *v == "" {
			*v = st.Default
		}
	}
	return s
}

// Validate reports every invalid setting at once, each named by its
// environment variable.
func (s Settings) Validate() error { return s.ValidateAs(ByEnv) }

// ValidateAs is Validate with each setting named by name(setting), so that
// each caller speaks its users' language: the construct's props, the
// command's flags.
func (s Settings) ValidateAs(name func(Setting) string) error {
	s = s.WithDefaults()
	var errs []error
	for _, st := range settings {
		if st.check == nil {
			continue
		}
		err := st.check(*st.value(&s))
		if err == nil && st.checkWith != nil {
			err = st.checkWith(s)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name(st), err))
		}
	}
	return errors.Join(errs...)
}

// Env is the function's environment for s, defaults filled in: every
// setting that is not empty, by variable name.
func (s Settings) Env() map[string]string {
	s = s.WithDefaults()
	env := make(map[string]string, len(settings))
	for _, st := range settings {
		if v := *st.value(&s); v != "" {
			env[st.Env] = v
		}
	}
	return env
}
