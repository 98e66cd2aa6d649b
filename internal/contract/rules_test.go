package contract

import (
	"slices"
	"strings"
	"testing"
)

func TestParseGroupBy(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		want    []string
		wantErr []string
	}{
		{"default", DefaultGroupBy, []string{"date", "path"}, nil},
		{"every dimension", "date,hour,path,method,status,host,type,query:ev", []string{"date", "hour", "path", "method", "status", "host", "type", "query:ev"}, nil},
		{"spaces trimmed", " date , query:ev ", []string{"date", "query:ev"}, nil},
		{"query names are free", "query:utm_source,query:é", []string{"query:utm_source", "query:é"}, nil},
		{"empty list", "", nil, []string{`empty dimension at position 1 of ""`}},
		{"empty entries", "date,,path,", nil, []string{"position 2", "position 4"}},
		{"unknown", "colour", nil, []string{`unknown dimension "colour" (want date, hour, path, method, status, host, type or query:NAME)`}},
		{"case matters", "Date", nil, []string{`unknown dimension "Date"`}},
		{"twice", "path, path", nil, []string{`dimension "path" given twice`}},
		{"query without a name", "query:", nil, []string{`dimension "query:": missing parameter name after "query:"`}},
		{"every problem at once", "x,,query:,x", nil, []string{`"x"`, "position 2", "missing parameter", "given twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGroupBy(tt.list)
			checkErr(t, err, tt.wantErr...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseGroupBy(%q) = %q, want %q", tt.list, got, tt.want)
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
		checkErr(t, ValidateFormat(bad), `"`+bad+`" (want csv or jsonl)`)
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
				checkErr(t, err)
			} else {
				checkErr(t, err, tt.wantErr)
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
				checkErr(t, err)
			} else {
				checkErr(t, err, "logs would be refused as summaries")
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
			checkErr(t, tt.res.Validate("FixedResponse"), tt.wantErr...)
		})
	}
	if got := (FixedResponse{}).WithDefaults(); got != (FixedResponse{Status: 204, ContentType: "text/plain"}) {
		t.Errorf("WithDefaults() = %+v", got)
	}
}

// checkErr fails t unless err mentions each of want, or, with no want,
// unless err is nil.
func checkErr(t *testing.T, err error, want ...string) {
	t.Helper()
	switch {
	case len(want) == 0 && err != nil:
		t.Errorf("error %q, want none", err)
	case len(want) > 0 && err == nil:
		t.Errorf("no error, want one mentioning %q", want)
	}
	for _, w := range want {
		if err != nil && !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}
