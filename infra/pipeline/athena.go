package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/internal/contract"
)

// RollupTableName is the name of the Glue table over the daily rollups, in
// the database named by AthenaDatabaseName.
const RollupTableName = "rollups"

const (
	// projectionStart is the first date the table projects: before the
	// first Elastic Load Balancing access log (access logging began in
	// 2014), so that a backfill of any old log is in the table.
	projectionStart = "2014-01-01"
	// The OpenX JSON SerDe reads JSON Lines and, unlike the Hive one,
	// maps a column to a JSON key of another name.
	jsonSerDe = "org.openx.data.jsonserde.JsonSerDe"
	// queryResultDays is how long the results bucket keeps query results.
	queryResultDays = 7
	// AthenaEngineVersion is the engine the workgroup runs queries on.
	AthenaEngineVersion = "Athena engine version 3"
)

// A tableColumn is a column of the rollups table: its name, its Hive
// type, and the key a rollup's JSON line holds its value under.
type tableColumn struct {
	Name, Type, Key string
}

// rollupColumns returns the columns of the rollups table for a group-by list:
// one string column per dimension, in the list's order, then count as a
// bigint, so that sums need no cast, then with distinct counts (distinct
// not "") distinct as a bigint and distinct_hll, the base64 of a sketch,
// as a string. Athena takes only lowercase letters,
// digits and _ in a column name, so each other character of a dimension
// becomes _ ("query:ev" is the column query_ev) and the SerDe maps the
// column back to its key. Two dimensions that would make the same column
// are an error, as is a column name longer than Glue takes.
func rollupColumns(groupBy, distinct string) ([]tableColumn, error) {
	dims, err := contract.ParseGroupBy(groupBy)
	if err != nil {
		return nil, err
	}
	var cols []tableColumn
	var errs []error
	seen := map[string]string{} // column → the dimension that made it
	for _, d := range append(dims, "count") {
		c := tableColumn{Name: columnName(d), Type: "string", Key: d}
		if d == "count" {
			c.Type = "bigint"
		}
		if first, ok := seen[c.Name]; ok {
			errs = append(errs, fmt.Errorf("dimensions %q and %q would both be the Athena column %s", first, d, c.Name))
			continue
		}
		if len(c.Name) > 255 {
			errs = append(errs, fmt.Errorf("dimension %q: longer than the 255 characters of an Athena column name", d))
			continue
		}
		seen[c.Name] = d
		cols = append(cols, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if distinct != "" {
		cols = append(cols, tableColumn{Name: "distinct", Type: "bigint", Key: "distinct"},
			tableColumn{Name: "distinct_hll", Type: "string", Key: "distinct_hll"})
	}
	return cols, nil
}

// columnName is the Athena column of a dimension: lowercase, and _ for
// every character other than a letter, a digit or _.
func columnName(dim string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '_':
			return r
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, dim)
}

// serDeParameters configure the JSON SerDe for cols: keys are matched as
// written (by default the SerDe lowercases them, and query:EV and
// query:ev would be one duplicate key), and each column whose name is not
// its key is mapped to it.
func serDeParameters(cols []tableColumn) map[string]*string {
	params := map[string]*string{"case.insensitive": jsii.String("FALSE")}
	for _, c := range cols {
		if c.Name != c.Key {
			params["mapping."+c.Name] = jsii.String(c.Key)
		}
	}
	return params
}

// A namedQuery is one of the saved queries of the workgroup; id is its
// construct ID, the same whatever other queries there are.
type namedQuery struct {
	id, Name, Description, SQL string
}

// The window of the named queries: the last 30 UTC dates, today's
// included. dt is text, so the bound is a date formatted as text.
const last30Days = `"dt" >= CAST(current_date - INTERVAL '29' DAY AS varchar)`

// namedQueries returns the saved queries for the common questions about a
// table with cols in database: requests per day always, the top paths
// when the table has a path column, events per day when it has the
// tracker's ev parameter (query:ev), each over the last 30 dates; and
// with distinct counts of distinct, the distinct values per week over
// the last 12 weeks.
func namedQueries(database string, cols []tableColumn, distinct string) []namedQuery {
	table := sqlName(database) + "." + sqlName(RollupTableName)
	has := func(key string) bool {
		return slices.ContainsFunc(cols, func(c tableColumn) bool { return c.Key == key })
	}
	queries := []namedQuery{{
		id:          "RequestsPerDayQuery",
		Name:        "Requests per day",
		Description: "pmdp: requests counted each UTC date, the last 30 days",
		SQL: `SELECT "dt", sum("count") AS requests
FROM ` + table + `
WHERE ` + last30Days + `
GROUP BY "dt"
ORDER BY "dt"`,
	}}
	if has("path") {
		queries = append(queries, namedQuery{
			id:          "TopPathsQuery",
			Name:        "Top paths",
			Description: "pmdp: the 100 paths with the most requests over the last 30 days",
			SQL: `SELECT "path", sum("count") AS requests
FROM ` + table + `
WHERE ` + last30Days + `
GROUP BY "path"
ORDER BY requests DESC
LIMIT 100`,
		})
	}
	if has(contract.QueryPrefix + "ev") {
		ev := sqlName(columnName(contract.QueryPrefix + "ev"))
		queries = append(queries, namedQuery{
			id:          "EventsPerDayQuery",
			Name:        "Events per day",
			Description: "pmdp: events (requests with an ev parameter) by name, each UTC date of the last 30 days",
			SQL: `SELECT "dt", ` + ev + ` AS ev, sum("count") AS events
FROM ` + table + `
WHERE ` + last30Days + ` AND ` + ev + ` <> ''
GROUP BY "dt", ` + ev + `
ORDER BY "dt", events DESC`,
		})
	}
	if has("distinct_hll") {
		name, what := "Unique visitors per week", "unique visitors (client IP and user agent)"
		if distinct != contract.DistinctVisitor {
			name, what = "Distinct "+distinct+" per week", "distinct values of "+distinct
		}
		// A week's rows hold sketches of overlapping sets (a visitor of
		// two days or two paths is in both): they are merged, never
		// summed.
		queries = append(queries, namedQuery{
			id:          "DistinctPerWeekQuery",
			Name:        name,
			Description: "pmdp: " + what + " each week (from Monday, UTC) of the last 12 weeks",
			SQL: `SELECT date_trunc('week', date("dt")) AS week,
  cardinality(merge(CAST(from_base64("distinct_hll") AS HyperLogLog))) AS visitors
FROM ` + table + `
WHERE "dt" >= CAST(date_trunc('week', current_date) - INTERVAL '77' DAY AS varchar)
GROUP BY 1
ORDER BY 1`,
		})
	}
	return queries
}

// sqlName quotes an identifier for Athena's SQL.
func sqlName(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// validateAthena checks the Athena props of p, defaults applied. A
// group-by list the function refuses is reported by the settings.
func (p Props) validateAthena() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !athenaName.MatchString(p.AthenaDatabaseName) {
		add("AthenaDatabaseName %q: must be lowercase letters, digits and _, starting with a letter, at most 128", p.AthenaDatabaseName)
	}
	if p.AthenaBytesScannedCutoffMB < MinAthenaBytesScannedCutoffMB {
		add("AthenaBytesScannedCutoffMB %d: must be at least %d", p.AthenaBytesScannedCutoffMB, MinAthenaBytesScannedCutoffMB)
	}
	if _, err := contract.ParseGroupBy(p.GroupBy); err == nil {
		if _, err := rollupColumns(p.GroupBy, p.Distinct); err != nil {
			add("GroupBy %q cannot be an Athena table (set DisableAthena to keep it): %w", p.GroupBy, err)
		}
	}
	return errs
}

// athena sets up Athena over the rollups: a Glue database and a table
// whose columns follow GroupBy, with partition projection on dt (no
// crawler, no MSCK REPAIR), and a workgroup that enforces its settings,
// with its own results bucket and the named queries.
func (pl *Pipeline) athena() {
	p := pl.props
	if p.DisableAthena {
		return
	}
	cols, _ := rollupColumns(p.GroupBy, p.Distinct) // checked by Validate
	account := awscdk.Aws_ACCOUNT_ID()

	db := awsglue.NewCfnDatabase(pl.Construct, jsii.String("AthenaDatabase"), &awsglue.CfnDatabaseProps{
		CatalogId: account,
		DatabaseInput: &awsglue.CfnDatabase_DatabaseInputProperty{
			Name:        jsii.String(p.AthenaDatabaseName),
			Description: jsii.String("pmdp: the daily rollups of the access-log counts"),
		},
	})
	var columns []*awsglue.CfnTable_ColumnProperty
	for _, c := range cols {
		columns = append(columns, &awsglue.CfnTable_ColumnProperty{Name: jsii.String(c.Name), Type: jsii.String(c.Type)})
	}
	table := awsglue.NewCfnTable(pl.Construct, jsii.String("RollupTable"), &awsglue.CfnTableProps{
		CatalogId:    account,
		DatabaseName: db.Ref(),
		TableInput: &awsglue.CfnTable_TableInputProperty{
			Name:        jsii.String(RollupTableName),
			Description: jsii.String("pmdp: one row per group and UTC date (dt), columns as GroupBy " + p.GroupBy),
			TableType:   jsii.String("EXTERNAL_TABLE"),
			// Projection belongs to the table's parameters: Athena
			// ignores it in the storage descriptor's.
			Parameters: map[string]*string{
				"EXTERNAL":                    jsii.String("TRUE"),
				"classification":              jsii.String("json"),
				"projection.enabled":          jsii.String("true"),
				"projection.dt.type":          jsii.String("date"),
				"projection.dt.format":        jsii.String("yyyy-MM-dd"),
				"projection.dt.range":         jsii.String(projectionStart + ",NOW"),
				"projection.dt.interval":      jsii.String("1"),
				"projection.dt.interval.unit": jsii.String("DAYS"),
			},
			// The projected dates are text: queries compare dt with
			// 'YYYY-MM-DD'.
			PartitionKeys: &[]*awsglue.CfnTable_ColumnProperty{{Name: jsii.String("dt"), Type: jsii.String("string")}},
			StorageDescriptor: &awsglue.CfnTable_StorageDescriptorProperty{
				Columns: &columns,
				// Hive-style: the rollup of a date is under <location>dt=<date>/.
				Location:     jsii.String("s3://" + *pl.summaryBucket.BucketName() + "/" + p.RollupPrefix),
				InputFormat:  jsii.String("org.apache.hadoop.mapred.TextInputFormat"),
				OutputFormat: jsii.String("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"),
				SerdeInfo: &awsglue.CfnTable_SerdeInfoProperty{
					SerializationLibrary: jsii.String(jsonSerDe),
					Parameters:           serDeParameters(cols),
				},
				Compressed:             jsii.Bool(false),
				StoredAsSubDirectories: jsii.Bool(false),
			},
		},
	})

	results := pl.privateBucket("AthenaResultsBucket", &awss3.LifecycleRule{
		Id:         jsii.String("ExpireQueryResults"),
		Expiration: awscdk.Duration_Days(jsii.Number(queryResultDays)),
	})
	workGroup := awsathena.NewCfnWorkGroup(pl.Construct, jsii.String("AthenaWorkGroup"), &awsathena.CfnWorkGroupProps{
		Name:        jsii.String(p.AthenaDatabaseName),
		Description: jsii.String(fmt.Sprintf("pmdp: queries of the rollups, at most %d MB scanned each", p.AthenaBytesScannedCutoffMB)),
		State:       jsii.String("ENABLED"),
		// The stack deletes the workgroup even though it holds named
		// queries and query history.
		RecursiveDeleteOption: jsii.Bool(true),
		WorkGroupConfiguration: &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
			// Clients cannot choose another results location, no
			// encryption, or no cutoff.
			EnforceWorkGroupConfiguration:   jsii.Bool(true),
			PublishCloudWatchMetricsEnabled: jsii.Bool(true),
			BytesScannedCutoffPerQuery:      jsii.Number(float64(p.AthenaBytesScannedCutoffMB) * 1e6),
			EngineVersion: &awsathena.CfnWorkGroup_EngineVersionProperty{
				SelectedEngineVersion: jsii.String(AthenaEngineVersion),
			},
			ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
				OutputLocation:          jsii.String("s3://" + *results.BucketName() + "/"),
				EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{EncryptionOption: jsii.String("SSE_S3")},
				ExpectedBucketOwner:     account,
			},
		},
	})
	for _, q := range namedQueries(p.AthenaDatabaseName, cols, p.Distinct) {
		awsathena.NewCfnNamedQuery(pl.Construct, jsii.String(q.id), &awsathena.CfnNamedQueryProps{
			Name:        jsii.String(q.Name),
			Description: jsii.String(q.Description),
			Database:    db.Ref(),
			WorkGroup:   workGroup.Ref(),
			QueryString: jsii.String(q.SQL),
		})
	}
	pl.athenaDatabase, pl.rollupTable, pl.athenaResults, pl.athenaWorkGroup = db, table, results, workGroup
}
