package contract

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/errtest"
)

func TestNewBackfillInput(t *testing.T) {
	tests := []struct {
		name       string
		from, to   string
		wantPrefix string
		wantDays   int
		first      string
		last       string
		wantErr    []string
	}{
		{"one day", "2025-03-07", "2025-03-07", "2025/03/07/", 1, "2025-03-07", "2025-03-07", nil},
		{"one month", "2025-03-01", "2025-03-31", "2025/03/", 31, "2025-03-01", "2025-03-31", nil},
		{"across months", "2025-01-30", "2025-02-02", "2025/", 4, "2025-01-30", "2025-02-02", nil},
		{"a leap February", "2024-02-28", "2024-03-01", "2024/", 3, "2024-02-28", "2024-03-01", nil},
		{"across years", "2024-12-31", "2025-01-01", "", 2, "2024-12-31", "2025-01-01", nil},
		{"a year", "2025-01-01", "2025-12-31", "2025/", 365, "2025-01-01", "2025-12-31", nil},
		{"the longest range", "2020-01-01", "2030-01-07", "", MaxBackfillDays, "2020-01-01", "2030-01-07", nil},
		{"one day too long", "2020-01-01", "2030-01-08", "", 0, "", "", []string{"3661 days", "at most 3660"}},
		{"backwards", "2025-03-08", "2025-03-07", "", 0, "", "", []string{"2025-03-08 to 2025-03-07 ends before it starts"}},
		{"bad from", "2025-3-7", "2025-03-07", "", 0, "", "", []string{`from date "2025-3-7" is not YYYY-MM-DD`}},
		{"bad to", "2025-03-07", "2025-02-30", "", 0, "", "", []string{`to date "2025-02-30" is not YYYY-MM-DD`}},
		{"empty", "", "", "", 0, "", "", []string{`from date ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := NewBackfillInput(tt.from, tt.to)
			errtest.Mentions(t, err, tt.wantErr...)
			if err != nil {
				return
			}
			if in.From != tt.from || in.To != tt.to || in.DatePrefix != tt.wantPrefix {
				t.Errorf("got from %q to %q prefix %q, want %q %q %q", in.From, in.To, in.DatePrefix, tt.from, tt.to, tt.wantPrefix)
			}
			if len(in.Dates) != tt.wantDays || in.Dates[0] != tt.first || in.Dates[len(in.Dates)-1] != tt.last {
				t.Fatalf("got %d dates from %s to %s, want %d from %s to %s", len(in.Dates), in.Dates[0], in.Dates[len(in.Dates)-1], tt.wantDays, tt.first, tt.last)
			}
			if !slices.IsSorted(in.Dates) || len(slices.Compact(slices.Clone(in.Dates))) != len(in.Dates) {
				t.Errorf("dates are not strictly increasing: %v", in.Dates)
			}
			if err := in.Validate(); err != nil {
				t.Errorf("Validate() of NewBackfillInput's result: %v", err)
			}
		})
	}
}

func TestBackfillInputValidate(t *testing.T) {
	good, err := NewBackfillInput("2025-03-30", "2025-04-02")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		change  func(*BackfillInput)
		wantErr []string
	}{
		{"as built", func(*BackfillInput) {}, nil},
		{"prefix too narrow", func(in *BackfillInput) { in.DatePrefix = "2025/03/" }, []string{`datePrefix "2025/03/" does not match 2025-03-30 to 2025-04-02: want "2025/"`}},
		{"prefix left out", func(in *BackfillInput) { in.DatePrefix = "" }, []string{`datePrefix ""`}},
		{"a date missing", func(in *BackfillInput) { in.Dates = in.Dates[1:] }, []string{"must list every date from 2025-03-30 to 2025-04-02"}},
		{"a date twice", func(in *BackfillInput) { in.Dates = append(in.Dates, in.Dates[0]) }, []string{"once, in order"}},
		{"no dates", func(in *BackfillInput) { in.Dates = nil }, []string{"every date"}},
		{"bad range", func(in *BackfillInput) { in.To = "2025-03-29" }, []string{"ends before it starts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			in.Dates = slices.Clone(good.Dates)
			tt.change(&in)
			errtest.Mentions(t, in.Validate(), tt.wantErr...)
		})
	}
}

func TestBackfillInputJSON(t *testing.T) {
	in, err := NewBackfillInput("2025-12-30", "2026-01-01")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"from":"2025-12-30","to":"2026-01-01","datePrefix":"","dates":["2025-12-30","2025-12-31","2026-01-01"]}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
	longest, _ := NewBackfillInput("2020-01-01", "2030-01-07")
	if b, _ := json.Marshal(longest); len(b) > 64<<10 {
		t.Errorf("the longest input is %d bytes; Step Functions takes 256 KiB and the comment promises about 51 KB", len(b))
	}
}

func TestDatePrefix(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct{ first, last, want string }{
		{"2025-03-07", "2025-03-07", "2025/03/07/"},
		{"2025-03-07", "2025-03-08", "2025/03/"},
		{"2025-03-31", "2025-04-01", "2025/"},
		{"2025-12-31", "2026-12-31", ""},
		// Same month and day in different years share nothing.
		{"2024-03-07", "2025-03-07", ""},
		// Same day of different months shares the year only.
		{"2025-03-07", "2025-04-07", "2025/"},
	}
	for _, tt := range tests {
		t.Run(tt.first+"_"+tt.last, func(t *testing.T) {
			if got := DatePrefix(day(tt.first), day(tt.last)); got != tt.want {
				t.Errorf("DatePrefix = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyDate(t *testing.T) {
	const alb = "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2025/03/07/123456789012_elasticloadbalancing_us-east-1_app.x.1_20250307T0005Z_10.0.0.1_a.log.gz"
	tests := []struct {
		name, key, want string
	}{
		{"an ALB log", alb, "2025-03-07"},
		{"the shortest key", "2025/03/07/f", "2025-03-07"},
		{"a leap day", "p/2024/02/29/f", "2024-02-29"},
		{"no such day", "p/2025/02/29/f", ""},
		{"month 13", "p/2025/13/01/f", ""},
		{"one-digit month", "p/2025/3/07/f", ""},
		{"five-digit year", "p/20250/03/07/f", ""},
		{"date is the file, not the folder", "p/2025/03/07", ""},
		{"too short", "03/07/f", ""},
		{"a folder key", "p/2025/03/07/", "2025-03-07"},
		{"letters", "p/yyyy/mm/dd/f", ""},
		{"signs", "p/+025/03/07/f", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := KeyDate(tt.key)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("KeyDate(%q) = %q, %v; want %q", tt.key, got, ok, tt.want)
			}
		})
	}
}

func TestBackfillBatchInput(t *testing.T) {
	good := BackfillBatchInput{Op: BackfillOp, Bucket: "logs", From: "2025-03-07", To: "2025-03-09"}
	validity := []struct {
		name    string
		in      BackfillBatchInput
		wantErr []string
	}{
		{"good", good, nil},
		{"a sweep", BackfillBatchInput{Op: SweepOp, Bucket: "logs", From: "2025-03-07", To: "2025-03-09"}, []string{`pmdp "rollup", want "backfill"`}},
		{"no bucket", BackfillBatchInput{Op: BackfillOp, From: "2025-03-07", To: "2025-03-09"}, []string{"names no bucket"}},
		{"no range", BackfillBatchInput{Op: BackfillOp, Bucket: "logs"}, []string{`from date ""`}},
		{"backwards", BackfillBatchInput{Op: BackfillOp, Bucket: "logs", From: "2025-03-09", To: "2025-03-07"}, []string{"ends before it starts"}},
	}
	for _, tt := range validity {
		t.Run(tt.name, func(t *testing.T) {
			errtest.Mentions(t, tt.in.Validate(), tt.wantErr...)
		})
	}
	covers := []struct {
		key  string
		want bool
	}{
		{"p/2025/03/06/f", false},
		{"p/2025/03/07/f", true},
		{"p/2025/03/08/f", true},
		{"p/2025/03/09/f", true},
		{"p/2025/03/10/f", false},
		{"p/2024/03/08/f", false},
		{"p/2025/03/08", false},
		{"f", false},
	}
	for _, tt := range covers {
		if got := good.Covers(tt.key); got != tt.want {
			t.Errorf("Covers(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
	for date, want := range map[string]bool{"2025-03-06": false, "2025-03-07": true, "2025-03-09": true, "2025-03-10": false, "2024-12-31": false} {
		if got := good.InRange(date); got != want {
			t.Errorf("InRange(%q) = %v, want %v", date, got, want)
		}
	}
}

func TestBackfillBatchJSON(t *testing.T) {
	// The shape a Distributed Map with an S3 listing reader and an
	// ItemBatcher sends; listed items carry more fields than the key.
	const batch = `{"Items":[{"Etag":"\"a\"","Key":"p/2025/03/07/f.log.gz","LastModified":1741305600,"Size":1024,"StorageClass":"STANDARD"}],` +
		`"BatchInput":{"pmdp":"backfill","bucket":"logs","from":"2025-03-07","to":"2025-03-07"}}`
	var b BackfillBatch
	if err := json.Unmarshal([]byte(batch), &b); err != nil {
		t.Fatal(err)
	}
	want := BackfillBatch{
		Items:      []BackfillItem{{Key: "p/2025/03/07/f.log.gz"}},
		BatchInput: BackfillBatchInput{Op: BackfillOp, Bucket: "logs", From: "2025-03-07", To: "2025-03-07"},
	}
	if !slices.Equal(b.Items, want.Items) || b.BatchInput != want.BatchInput {
		t.Errorf("read %+v, want %+v", b, want)
	}
}

func ExampleNewBackfillInput() {
	in, err := NewBackfillInput("2025-03-30", "2025-04-02")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(in)
	fmt.Println(string(b))
	// Output: {"from":"2025-03-30","to":"2025-04-02","datePrefix":"2025/","dates":["2025-03-30","2025-03-31","2025-04-01","2025-04-02"]}
}
