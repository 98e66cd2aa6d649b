package contract

import (
	"slices"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/errtest"
)

func TestParseGroupBy(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		want    []string
		wantErr []string
	}{
		{"default", DefaultGroupBy, []string{"date", "path"}, nil},
		{"every dimension", "date,hour,path,method,status,host,type,action,bot,query:ev", []string{"date", "hour", "path", "method", "status", "host", "type", "action", "bot", "query:ev"}, nil},
		{"spaces trimmed", " date , query:ev ", []string{"date", "query:ev"}, nil},
		{"query names are free", "query:utm_source,query:é", []string{"query:utm_source", "query:é"}, nil},
		{"empty list", "", nil, []string{`empty dimension at position 1 of ""`}},
		{"empty entries", "date,,path,", nil, []string{"position 2", "position 4"}},
		{"unknown", "colour", nil, []string{`unknown dimension "colour" (want date, hour, path, method, status, host, type, action, bot or query:NAME)`}},
		{"case matters", "Date", nil, []string{`unknown dimension "Date"`}},
		{"twice", "path, path", nil, []string{`dimension "path" given twice`}},
		{"query without a name", "query:", nil, []string{`dimension "query:": missing parameter name after "query:"`}},
		{"every problem at once", "x,,query:,x", nil, []string{`"x"`, "position 2", "missing parameter", "given twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGroupBy(tt.list)
			errtest.Mentions(t, err, tt.wantErr...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseGroupBy(%q) = %q, want %q", tt.list, got, tt.want)
			}
		})
	}
}

func TestParseFilter(t *testing.T) {
	tests := []struct {
		name    string
		filter  string
		want    []Clause
		wantErr []string
	}{
		{"empty filter", "", nil, nil},
		{"one value", "action=redirect", []Clause{{"action", []string{"redirect"}}}, nil},
		{"several values", "status=200|204", []Clause{{"status", []string{"200", "204"}}}, nil},
		{"several clauses", "bot=no;method=GET|HEAD", []Clause{{"bot", []string{"no"}}, {"method", []string{"GET", "HEAD"}}}, nil},
		{"spaces trimmed", " bot = yes ; path = /a | /b ", []Clause{{"bot", []string{"yes"}}, {"path", []string{"/a", "/b"}}}, nil},
		{"same dimension twice", "status=200;status=204", []Clause{{"status", []string{"200"}}, {"status", []string{"204"}}}, nil},
		{"query value may be empty", "query:ev=", []Clause{{"query:ev", []string{""}}}, nil},
		{"query value empty or not", "query:ev=|signup", []Clause{{"query:ev", []string{"", "signup"}}}, nil},
		{"= inside a value", "query:ref=a=b", []Clause{{"query:ref", []string{"a=b"}}}, nil},
		{"comma inside a value", "action=waf,forward", []Clause{{"action", []string{"waf,forward"}}}, nil},
		{"absent is a dash", "action=-", []Clause{{"action", []string{"-"}}}, nil},
		{"no =", "bot", nil, []string{`clause "bot": want DIMENSION=VALUE, values separated by |`}},
		{"no dimension", "=redirect", nil, []string{`clause "=redirect": no dimension before =`}},
		{"unknown dimension", "colour=red", nil, []string{`clause "colour=red": unknown dimension "colour" (want date, hour,`}},
		{"query without a name", "query:=x", nil, []string{`clause "query:=x": dimension "query:": missing parameter name`}},
		{"query name with a comma", "query:a,b=x", nil, []string{`clause "query:a,b=x": dimension "query:a,b": a parameter name with a comma cannot be grouped by`}},
		{"empty value", "status=", nil, []string{`clause "status=": empty value, but status is never empty (it is - when absent)`}},
		{"one empty value", "method=GET|", nil, []string{`clause "method=GET|": empty value`}},
		{"bot neither yes nor no", "bot=maybe", nil, []string{`clause "bot=maybe": bot is yes or no, not "maybe"`}},
		{"bot empty", "bot=", nil, []string{`bot is yes or no, not ""`}},
		{"bot is lower case", "bot=Yes", nil, []string{`not "Yes"`}},
		{"empty clause", "bot=no;;status=200", nil, []string{`empty clause at position 2 of "bot=no;;status=200"`}},
		{"trailing separator", "bot=no;", nil, []string{"empty clause at position 2"}},
		{"only spaces", " ", nil, []string{"empty clause at position 1"}},
		{"every problem at once", "x=1;;bot=maybe|no;status", nil, []string{`"x"`, "position 2", `"maybe"`, `clause "status"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFilter(tt.filter)
			errtest.Mentions(t, err, tt.wantErr...)
			if !slices.EqualFunc(got, tt.want, func(a, b Clause) bool {
				return a.Dimension == b.Dimension && slices.Equal(a.Values, b.Values)
			}) {
				t.Errorf("ParseFilter(%q) = %q, want %q", tt.filter, got, tt.want)
			}
		})
	}
}

func TestJoinFilters(t *testing.T) {
	tests := []struct {
		name    string
		filters []string
		want    string
	}{
		{"none", nil, ""},
		{"all empty", []string{"", ""}, ""},
		{"one", []string{"bot=yes"}, "bot=yes"},
		{"a prop and the construct's own", []string{"bot=yes", ExcludeRedirects}, "bot=yes;action=redirect"},
		{"no prop", []string{"", ExcludeRedirects}, "action=redirect"},
		{"repeated flags", []string{"status=200", "", "method=GET;host=a"}, "status=200;method=GET;host=a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JoinFilters(tt.filters...)
			if got != tt.want {
				t.Errorf("JoinFilters(%q) = %q, want %q", tt.filters, got, tt.want)
			}
			if _, err := ParseFilter(got); err != nil {
				t.Errorf("joined filter %q does not parse: %v", got, err)
			}
		})
	}
}

func TestValidateFormat(t *testing.T) {
	for _, ok := range []string{"csv", "jsonl"} {
		if err := ValidateFormat(ok); err != nil {
			t.Errorf("ValidateFormat(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "CSV", "json", "xml"} {
		errtest.Mentions(t, ValidateFormat(bad), `"`+bad+`" (want csv or jsonl)`)
	}
}

func TestValidatePrefixes(t *testing.T) {
	summary, logs := ValidateSummaryPrefix, ValidateLogPrefix
	tests := []struct {
		name     string
		validate func(string) error
		prefix   string
		wantErr  string // "" means valid
	}{
		{"summaries: default", summary, DefaultSummaryPrefix, ""},
		{"summaries: nested", summary, "reports/pmdp/", ""},
		{"summaries: empty", summary, "", "is empty"},
		{"summaries: no trailing slash", summary, "summaries", "must end in /"},
		{"summaries: leading slash", summary, "/summaries/", "must not start with /"},
		{"summaries: where logs go", summary, "logs/AWSLogs/", "must not contain AWSLogs/"},
		{"logs: bucket root", logs, "", ""},
		{"logs: default", logs, DefaultLogPrefix, ""},
		{"logs: nested", logs, "alb/prod", ""},
		{"logs: AWSLogs alone", logs, "AWSLogs", "must not contain AWSLogs"},
		{"logs: AWSLogs inside", logs, "x/AWSLogs/y", "must not contain AWSLogs"},
		{"logs: leading slash", logs, "/logs", "must not start or end with /"},
		{"logs: trailing slash", logs, "logs/", "must not start or end with /"},
		{"logs: double slash", logs, "a//b", "must not contain //"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.validate(tt.prefix)
			if tt.wantErr == "" {
				errtest.Mentions(t, err)
			} else {
				errtest.Mentions(t, err, tt.wantErr)
			}
		})
	}
}

func TestValidateSameBucket(t *testing.T) {
	tests := []struct {
		name, logPrefix, summaryPrefix string
		ok                             bool
	}{
		{"defaults", DefaultLogPrefix, DefaultSummaryPrefix, true},
		{"sibling folders", "data/logs", "data/summaries/", true},
		{"a name that only starts alike", "logs", "log/", true},
		{"logs inside the summaries", "data/logs", "data/", false},
		{"the log folder itself", "logs", "logs/", false},
		{"logs at the root", "", "AWSLogs/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSameBucket(tt.logPrefix, tt.summaryPrefix)
			if tt.ok {
				errtest.Mentions(t, err)
			} else {
				errtest.Mentions(t, err, "logs would be refused as summaries")
			}
		})
	}
}

func TestNotificationFilter(t *testing.T) {
	const name = "123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz"
	tests := []struct {
		name, logPrefix, key string
		want                 bool
	}{
		{"access log", "logs", "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/" + name, true},
		{"access log at the root", "", "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/" + name, true},
		{"other prefix", "logs", "other/AWSLogs/123456789012/x/" + name, false},
		{"prefix only as a folder", "logs", "logsx/AWSLogs/123456789012/x/" + name, false},
		{"plain-text log", "logs", "logs/AWSLogs/1/x.log", false},
		{"test file", "logs", "logs/AWSLogs/123456789012/ELBAccessLogTestFile", false},
		{"summary", "logs", "summaries/dt=2026-11-26/x.csv", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NotificationFilter(tt.logPrefix).Matches(tt.key); got != tt.want {
				t.Errorf("Matches(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestFixedResponse(t *testing.T) {
	tests := []struct {
		name    string
		res     FixedResponse
		wantErr []string
	}{
		{"default", FixedResponse{}, nil},
		{"json", FixedResponse{Status: 200, ContentType: "application/json", Body: "{}"}, nil},
		{"lowest", FixedResponse{Status: 200}, nil},
		{"highest", FixedResponse{Status: 599}, nil},
		{"not found", FixedResponse{Status: 404}, nil},
		{"redirect status", FixedResponse{Status: 301}, []string{"FixedResponseStatus 301: must be 2xx, 4xx or 5xx"}},
		{"informational", FixedResponse{Status: 199}, []string{"Status 199"}},
		{"four digits", FixedResponse{Status: 1000}, []string{"Status 1000"}},
		{"negative", FixedResponse{Status: -204}, []string{"Status -204"}},
		{"bad type", FixedResponse{ContentType: "image/png"}, []string{`FixedResponseContentType "image/png"`}},
		{"body at the limit", FixedResponse{Body: strings.Repeat("é", MaxResponseBody)}, nil},
		{"long body", FixedResponse{Body: strings.Repeat("é", MaxResponseBody+1)}, []string{"FixedResponseBody: 1025 characters, at most 1024"}},
		{"every problem at once", FixedResponse{Status: 302, ContentType: "text/xml", Body: strings.Repeat("x", 2000)},
			[]string{"Status 302", "ContentType", "2000 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errtest.Mentions(t, tt.res.Validate("FixedResponse"), tt.wantErr...)
		})
	}
	if got := (FixedResponse{}).WithDefaults(); got != (FixedResponse{Status: 204, ContentType: "text/plain"}) {
		t.Errorf("WithDefaults() = %+v", got)
	}
}
