package pipeline

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/pmdp/pmdp/internal/errtest"
)

func TestRollupColumns(t *testing.T) {
	tests := []struct {
		name    string
		groupBy string
		want    []tableColumn
		wantErr []string
	}{
		{"default", "date,path", []tableColumn{
			{"date", "string", "date"}, {"path", "string", "path"}, {"count", "bigint", "count"},
		}, nil},
		{"query parameters become valid column names", "hour, query:ev ,query:utm-source,query:Ref,query:café,query:count", []tableColumn{
			{"hour", "string", "hour"}, {"query_ev", "string", "query:ev"}, {"query_utm_source", "string", "query:utm-source"},
			{"query_ref", "string", "query:Ref"}, {"query_caf_", "string", "query:café"}, {"query_count", "string", "query:count"},
			{"count", "bigint", "count"},
		}, nil},
		{"every fixed dimension", "date,hour,path,method,status,host,type,action,bot", []tableColumn{
			{"date", "string", "date"}, {"hour", "string", "hour"}, {"path", "string", "path"}, {"method", "string", "method"},
			{"status", "string", "status"}, {"host", "string", "host"}, {"type", "string", "type"}, {"action", "string", "action"},
			{"bot", "string", "bot"}, {"count", "bigint", "count"},
		}, nil},
		{"two parameters, one column", "date,query:a-b,query:a.b", nil,
			[]string{`dimensions "query:a-b" and "query:a.b" would both be the Athena column query_a_b`}},
		{"case alone", "query:ev,query:EV,query:Ev", nil, []string{`"query:ev" and "query:EV"`, `"query:ev" and "query:Ev"`}},
		{"too long", "query:" + strings.Repeat("x", 250), nil, []string{"255 characters"}},
		{"at the limit", "query:" + strings.Repeat("x", 249), nil, nil},
		{"not a group-by list", "date,,colour", nil, []string{"empty dimension", `unknown dimension "colour"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rollupColumns(tt.groupBy, "")
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("rollupColumns(%q) = %v, want an error", tt.groupBy, got)
				}
				errtest.Mentions(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("rollupColumns(%q): %v", tt.groupBy, err)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rollupColumns(%q) =\n %v\nwant\n %v", tt.groupBy, got, tt.want)
			}
		})
	}
}

// With distinct counts, distinct and distinct_hll follow count, whatever
// is counted.
func TestRollupColumnsWithDistinct(t *testing.T) {
	for _, distinct := range []string{"visitor", "query:uid"} {
		got, err := rollupColumns("date,query:ev", distinct)
		want := []tableColumn{{"date", "string", "date"}, {"query_ev", "string", "query:ev"}, {"count", "bigint", "count"},
			{"distinct", "bigint", "distinct"}, {"distinct_hll", "string", "distinct_hll"}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: rollupColumns = %v, %v; want %v", distinct, got, err, want)
		}
	}
}

// quoted matches an identifier in SQL.
var quoted = regexp.MustCompile(`"([^"]+)"`)

// Each named query exists when the table has its columns, and reads them
// by their column names.
func TestNamedQueries(t *testing.T) {
	tests := []struct {
		groupBy  string
		distinct string
		want     []string // names
	}{
		{"date,path", "", []string{"Requests per day", "Top paths"}},
		{"date,path", "visitor", []string{"Requests per day", "Top paths", "Unique visitors per week"}},
		{"date", "query:uid", []string{"Requests per day", "Distinct query:uid per week"}},
		{"date,query:ev", "", []string{"Requests per day", "Events per day"}},
		{"hour,path,status,query:ev", "", []string{"Requests per day", "Top paths", "Events per day"}},
		{"hour,query:EV", "", []string{"Requests per day"}}, // the tracker sends ev
		{"date", "", []string{"Requests per day"}},
	}
	for _, tt := range tests {
		t.Run(tt.groupBy+" "+tt.distinct, func(t *testing.T) {
			cols, err := rollupColumns(tt.groupBy, tt.distinct)
			if err != nil {
				t.Fatal(err)
			}
			known := map[string]bool{"dt": true}
			for _, c := range cols {
				known[c.Name] = true
			}
			var names []string
			for _, q := range namedQueries("web", cols, tt.distinct) {
				names = append(names, q.Name)
				if !strings.Contains(q.SQL, `FROM "web"."rollups"`+"\n") || !strings.Contains(q.SQL, `WHERE "dt" >= `) {
					t.Errorf("%s does not read the last dates of web.rollups:\n%s", q.Name, q.SQL)
				}
				sql := strings.Replace(q.SQL, `"web"."rollups"`, "", 1)
				for _, m := range quoted.FindAllStringSubmatch(sql, -1) {
					if !known[m[1]] {
						t.Errorf("%s reads the column %s, which the table does not have:\n%s", q.Name, m[1], q.SQL)
					}
				}
			}
			if !reflect.DeepEqual(names, tt.want) {
				t.Errorf("named queries %q, want %q", names, tt.want)
			}
		})
	}
}

// The saved queries as Athena gets them: every identifier quoted ("date"
// and "count" are reserved words), dt compared as text, events without an
// ev left out.
func TestNamedQuerySQL(t *testing.T) {
	cols, err := rollupColumns("date,path,query:ev", "visitor")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Requests per day": `SELECT "dt", sum("count") AS requests
FROM "pmdp"."rollups"
WHERE "dt" >= CAST(current_date - INTERVAL '29' DAY AS varchar)
GROUP BY "dt"
ORDER BY "dt"`,
		"Top paths": `SELECT "path", sum("count") AS requests
FROM "pmdp"."rollups"
WHERE "dt" >= CAST(current_date - INTERVAL '29' DAY AS varchar)
GROUP BY "path"
ORDER BY requests DESC
LIMIT 100`,
		"Events per day": `SELECT "dt", "query_ev" AS ev, sum("count") AS events
FROM "pmdp"."rollups"
WHERE "dt" >= CAST(current_date - INTERVAL '29' DAY AS varchar) AND "query_ev" <> ''
GROUP BY "dt", "query_ev"
ORDER BY "dt", events DESC`,
		// Sketches merged across the week's days and rows, never summed.
		"Unique visitors per week": `SELECT date_trunc('week', date("dt")) AS week,
  cardinality(merge(CAST(from_base64("distinct_hll") AS HyperLogLog))) AS visitors
FROM "pmdp"."rollups"
WHERE "dt" >= CAST(date_trunc('week', current_date) - INTERVAL '77' DAY AS varchar)
GROUP BY 1
ORDER BY 1`,
	}
	got := map[string]string{}
	for _, q := range namedQueries("pmdp", cols, "visitor") {
		got[q.Name] = q.SQL
	}
	for name, sql := range want {
		if got[name] != sql {
			t.Errorf("%s:\n%s\nwant\n%s", name, got[name], sql)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d queries, want %d", len(got), len(want))
	}
}

// The table over the rollups: its columns follow GroupBy (string
// dimensions, count a bigint) and are mapped to the rollups' JSON keys,
// dt is projected (no crawler, no MSCK REPAIR) over the Hive-style
// folders under the rollup prefix. The workgroup enforces its results
// bucket, SSE-S3, the scan cutoff and engine version 3; the results
// bucket is private, TLS only, and forgets results after a week.
func TestAthena(t *testing.T) {
	tm := synth(t, &Props{
		GroupBy: "date,path,query:ev,query:utm-source", RollupPrefix: "daily/",
		AthenaDatabaseName: "web", AthenaBytesScannedCutoffMB: 50,
	}).template
	logBucket := logBucketID(tm, t)
	dbID, db := tm.one(t, "AWS::Glue::Database")
	jsonEq(t, "database", props(db), map[string]any{
		"CatalogId":     ref("AWS::AccountId"),
		"DatabaseInput": map[string]any{"Name": "web", "Description": "pmdp: the daily rollups of the access-log counts"},
	})

	_, table := tm.one(t, "AWS::Glue::Table")
	column := func(name, typ string) map[string]any { return map[string]any{"Name": name, "Type": typ} }
	jsonEq(t, "table", props(table), map[string]any{
		"CatalogId":    ref("AWS::AccountId"),
		"DatabaseName": ref(dbID),
		"TableInput": map[string]any{
			"Name":        "rollups",
			"Description": "pmdp: one row per group and UTC date (dt), columns as GroupBy date,path,query:ev,query:utm-source",
			"TableType":   "EXTERNAL_TABLE",
			// Projection in the table's parameters, where Athena reads it.
			"Parameters": map[string]any{
				"EXTERNAL": "TRUE", "classification": "json",
				"projection.enabled": "true", "projection.dt.type": "date", "projection.dt.format": "yyyy-MM-dd",
				"projection.dt.range": "2014-01-01,NOW", "projection.dt.interval": "1", "projection.dt.interval.unit": "DAYS",
			},
			"PartitionKeys": []any{column("dt", "string")},
			"StorageDescriptor": map[string]any{
				"Columns": []any{
					column("date", "string"), column("path", "string"), column("query_ev", "string"),
					column("query_utm_source", "string"), column("count", "bigint"),
				},
				"Location":     map[string]any{"Fn::Join": []any{"", []any{"s3://", ref(logBucket), "/daily/"}}},
				"InputFormat":  "org.apache.hadoop.mapred.TextInputFormat",
				"OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
				"SerdeInfo": map[string]any{
					"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
					"Parameters": map[string]any{
						"case.insensitive":         "FALSE",
						"mapping.query_ev":         "query:ev",
						"mapping.query_utm_source": "query:utm-source",
					},
				},
				"Compressed":             false,
				"StoredAsSubDirectories": false,
			},
		},
	})

	resultsID, results := tm.named(t, "AWS::S3::Bucket", "PipelineAthenaResultsBucket")
	p := props(results)
	jsonEq(t, "results bucket", map[string]any{
		"BucketEncryption": p["BucketEncryption"], "PublicAccessBlockConfiguration": p["PublicAccessBlockConfiguration"],
		"LifecycleConfiguration": p["LifecycleConfiguration"], "OwnershipControls": p["OwnershipControls"],
		"VersioningConfiguration": p["VersioningConfiguration"],
	}, map[string]any{
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}},
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
		"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{
			"Id": "ExpireQueryResults", "ExpirationInDays": 7, "Status": "Enabled",
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1},
		}, oldVersionsRule}},
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"OwnershipControls":       map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
	})
	if results["DeletionPolicy"] != "Retain" {
		t.Errorf("results bucket deletion policy %v, want RemovalPolicy's default, Retain", results["DeletionPolicy"])
	}
	_, policy := tm.named(t, "AWS::S3::BucketPolicy", "PipelineAthenaResultsBucket")
	jsonEq(t, "results bucket policy", props(policy)["PolicyDocument"].(map[string]any)["Statement"], []any{map[string]any{
		"Action": "s3:*", "Effect": "Deny", "Principal": map[string]any{"AWS": "*"},
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		"Resource":  []any{arnOf(resultsID), map[string]any{"Fn::Join": []any{"", []any{arnOf(resultsID), "/*"}}}},
	}})

	wgID, wg := tm.one(t, "AWS::Athena::WorkGroup")
	delete(props(wg), "Description")
	jsonEq(t, "workgroup", props(wg), map[string]any{
		"Name": "web", "State": "ENABLED", "RecursiveDeleteOption": true,
		"WorkGroupConfiguration": map[string]any{
			"EnforceWorkGroupConfiguration":   true,
			"PublishCloudWatchMetricsEnabled": true,
			"BytesScannedCutoffPerQuery":      50_000_000,
			"EngineVersion":                   map[string]any{"SelectedEngineVersion": "Athena engine version 3"},
			"ResultConfiguration": map[string]any{
				"OutputLocation":          map[string]any{"Fn::Join": []any{"", []any{"s3://", ref(resultsID), "/"}}},
				"EncryptionConfiguration": map[string]any{"EncryptionOption": "SSE_S3"},
				"ExpectedBucketOwner":     ref("AWS::AccountId"),
			},
		},
	})

	cols, _ := rollupColumns("date,path,query:ev,query:utm-source", "")
	want := map[string]map[string]any{}
	for _, q := range namedQueries("web", cols, "") {
		want[q.Name] = map[string]any{
			"Name": q.Name, "Description": q.Description, "QueryString": q.SQL,
			"Database": ref(dbID), "WorkGroup": ref(wgID),
		}
	}
	got := map[string]map[string]any{}
	for _, q := range tm.resources("AWS::Athena::NamedQuery") {
		got[props(q)["Name"].(string)] = props(q)
	}
	if len(want) != 3 {
		t.Fatalf("%d named queries for this group-by, want 3", len(want))
	}
	jsonEq(t, "named queries", got, want)
}

// With Distinct, the table has the distinct columns after count, and the
// workgroup the weekly query.
func TestAthenaDistinct(t *testing.T) {
	tm := synth(t, &Props{Distinct: "visitor"}).template
	_, table := tm.one(t, "AWS::Glue::Table")
	sd := props(table)["TableInput"].(map[string]any)["StorageDescriptor"].(map[string]any)
	jsonEq(t, "columns", sd["Columns"], []any{
		map[string]any{"Name": "date", "Type": "string"}, map[string]any{"Name": "path", "Type": "string"},
		map[string]any{"Name": "count", "Type": "bigint"}, map[string]any{"Name": "distinct", "Type": "bigint"},
		map[string]any{"Name": "distinct_hll", "Type": "string"},
	})
	var names []string
	for _, q := range tm.resources("AWS::Athena::NamedQuery") {
		names = append(names, props(q)["Name"].(string))
		if props(q)["Name"] == "Unique visitors per week" && !strings.Contains(props(q)["QueryString"].(string), "merge(CAST(from_base64(\"distinct_hll\") AS HyperLogLog))") {
			t.Errorf("weekly query %s", props(q)["QueryString"])
		}
	}
	if !slices.Contains(names, "Unique visitors per week") {
		t.Errorf("named queries %q, want Unique visitors per week", names)
	}
	env, _ := json.Marshal(tm.function(t)["Environment"])
	if !strings.Contains(string(env), `"PMDP_DISTINCT":"visitor"`) {
		t.Errorf("environment lacks PMDP_DISTINCT: %s", env)
	}
}

// Without Athena there is no table, workgroup, results bucket or named
// query, and no output names them; the rollups and their schedule stay.
func TestDisableAthena(t *testing.T) {
	app := NewApp(nil, t.TempDir())
	stack := NewStack(app, "Pmdp", &StackProps{StackProps: awscdk.StackProps{Env: testEnv}, Pipeline: &Props{DisableAthena: true}})
	tm := templateOf(t, stack)
	for _, typ := range []string{"AWS::Glue::Database", "AWS::Glue::Table", "AWS::Athena::WorkGroup", "AWS::Athena::NamedQuery"} {
		if n := len(tm.resources(typ)); n != 0 {
			t.Errorf("%d %s", n, typ)
		}
	}
	logBucketID(tm, t)
	if n := len(tm.resources("AWS::S3::Bucket")); n != 1 {
		t.Errorf("%d buckets, want only the log bucket", n)
	}
	tm.one(t, "AWS::Scheduler::Schedule")
	outputs := tm["Outputs"].(map[string]any)
	for _, name := range []string{"AthenaDatabase", "AthenaTable", "AthenaWorkGroup"} {
		if _, ok := outputs[name]; ok {
			t.Errorf("output %s without Athena", name)
		}
	}
	if _, ok := outputs["RollupPrefix"]; !ok {
		t.Error("no output RollupPrefix")
	}
}

// The query the README offers to paste after `make deploy` is the named
// query of the default stack, with its real names.
func TestREADMEQuery(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rollupColumns(Props{}.withDefaults().GroupBy, "")
	q := namedQueries(DefaultAthenaDatabaseName, cols, "")[0]
	if !strings.Contains(string(readme), "```sql\n"+q.SQL+";\n```") {
		t.Errorf("README.md does not show the query %q as a sql block:\n%s", q.Name, q.SQL)
	}
	// And the weekly unique visitors of a stack with Distinct visitor.
	cols, _ = rollupColumns(Props{}.withDefaults().GroupBy, "visitor")
	weekly := namedQueries(DefaultAthenaDatabaseName, cols, "visitor")
	if q := weekly[len(weekly)-1]; !strings.Contains(string(readme), "```sql\n"+q.SQL+";\n```") {
		t.Errorf("README.md does not show the query %q as a sql block:\n%s", q.Name, q.SQL)
	}
	for _, text := range []string{"workgroup `" + DefaultAthenaDatabaseName + "`", "`" + DefaultAthenaDatabaseName + "." + RollupTableName + "`"} {
		if !strings.Contains(string(readme), text) {
			t.Errorf("README.md does not mention %s", text)
		}
	}
}
