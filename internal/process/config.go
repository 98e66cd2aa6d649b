package process

import (
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/logkey"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/rollup"
	"github.com/pmdp/pmdp/internal/summary"
)

// Config says where summaries are written and what they hold. NewConfig
// builds one from settings.
type Config struct {
	// SummaryBucket receives the summaries; "" means the bucket the log
	// is in.
	SummaryBucket string
	// SummaryPrefix starts every summary key. It must be non-empty and
	// end in "/"; keys under it are never processed as logs.
	SummaryPrefix string
	// Dimensions to group by inside each per-date summary.
	Dimensions []summary.Dimension
	// Format of the summaries.
	Format summary.Format
	// Filter says which requests are counted; the zero Filter counts
	// every one.
	Filter summary.Filter
	// RollupPrefix starts every daily rollup key, in the summary bucket;
	// keys under it are never processed as logs either.
	RollupPrefix string
	// RollupDays is the sweep's window: the last RollupDays UTC dates.
	RollupDays int
	// MaxGroups caps every summary and rollup: the requests of the groups
	// beyond it are counted in (other) rows (see summary.NewMaxGroups).
	MaxGroups int
	// Distinct is what every row of the summaries and rollups counts the
	// distinct values of, in a sketch; the zero Distinct counts none.
	// When it is on, each summary holds at most summary.MaxDistinctGroups
	// groups, whatever MaxGroups.
	Distinct summary.Distinct
}

// NewConfig checks s with s.Validate and returns the configuration it
// describes, defaults filled in. Callers that name the settings their own
// way check them first with ValidateAs; this check then cannot fail.
func NewConfig(s contract.Settings) (Config, error) {
	if err := s.Validate(); err != nil {
		return Config{}, err
	}
	s = s.WithDefaults()
	dims, err := summary.ParseDimensions(s.GroupBy)
	if err != nil {
		return Config{}, err
	}
	format, err := summary.ParseFormat(s.Format)
	if err != nil {
		return Config{}, err
	}
	filter, err := summary.ParseFilter(s.Include, s.Exclude)
	if err != nil {
		return Config{}, err
	}
	days, err := contract.ParseRollupDays(s.RollupDays)
	if err != nil {
		return Config{}, err
	}
	maxGroups, err := contract.ParseMaxGroups(s.MaxGroups)
	if err != nil {
		return Config{}, err
	}
	distinct, err := summary.ParseDistinct(s.Distinct)
	if err != nil {
		return Config{}, err
	}
	return Config{SummaryBucket: s.SummaryBucket, SummaryPrefix: s.SummaryPrefix, Dimensions: dims, Format: format, Filter: filter,
		RollupPrefix: s.RollupPrefix, RollupDays: days, MaxGroups: maxGroups, Distinct: distinct}, nil
}

// ConfigFromEnv is the function's configuration, read from its environment
// through getenv (os.Getenv in production). Every invalid variable is
// reported, each by name.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	return NewConfig(contract.SettingsFromEnv(getenv))
}

// DefaultConfig is the configuration of the zero Settings: CSV grouped by
// date and path under summaries/ in the log's own bucket, every request
// counted, at most 100000 groups, rollups under rollups/ swept over three
// days.
func DefaultConfig() Config {
	days, _ := contract.ParseRollupDays(contract.DefaultRollupDays)
	maxGroups, _ := contract.ParseMaxGroups(contract.DefaultMaxGroups)
	return Config{
		SummaryPrefix: contract.DefaultSummaryPrefix,
		Dimensions:    summary.MustParseDimensions(contract.DefaultGroupBy),
		Format:        summary.Format(contract.DefaultFormat),
		RollupPrefix:  contract.DefaultRollupPrefix,
		RollupDays:    days,
		MaxGroups:     maxGroups,
	}
}

// Rollups is the builder of the rollups of summaries written with c into
// bucket (c.SummaryBucket, or the log's bucket when that is ""): grouped
// by c's dimensions, capped at c.MaxGroups, counting c.Distinct.
func (c Config) Rollups(store objstore.ListStore, bucket string) *rollup.Builder {
	if c.SummaryBucket != "" {
		bucket = c.SummaryBucket
	}
	return &rollup.Builder{Store: store, Bucket: bucket, SummaryPrefix: c.SummaryPrefix, RollupPrefix: c.RollupPrefix, Dimensions: c.Dimensions,
		MaxGroups: c.MaxGroups, Distinct: c.Distinct}
}

// SummaryKey is where the summary of one date of the log at key goes:
// <prefix>dt=<date>/<file name without .log.gz or .log><extension>. It
// depends only on its arguments, so reprocessing a log rewrites the same
// objects instead of adding new ones.
func (c Config) SummaryKey(key, date string) string {
	return c.SummaryPrefix + "dt=" + date + "/" + logkey.BaseName(key) + c.Format.Extension()
}
