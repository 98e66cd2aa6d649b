// Package report turns summaries or daily rollups into one HTML file that
// shows them: requests per day as a chart and a table, the top values of
// every column (paths, pages, events, status codes, hosts), distinct
// visitors where the summaries count them, and a date range to pick inside
// the page.
//
// The file is self-contained: its data is JSON in a
// <script type="application/json" id="pmdp-data"> element, its script and
// style are inline, its charts inline SVG, and its Content-Security-Policy
// lets it load nothing, so it works offline and from a pre-signed URL
// alike. Every value came from a request that anybody could send: the
// template escapes it for its context, the JSON is escaped for a script
// element, and the page's script only ever sets text, never markup.
package report

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"
)

// DefaultMaxValues is how many values of a column a report keeps; the
// others are summed into one OtherValue row, so the file stays small
// whatever the summaries hold.
const DefaultMaxValues = 500

// OtherValue stands for the values a report or a summary left out, as
// the summaries' cardinality cap writes it.
const OtherValue = "(other)"

// A Sketch merges the distinct_hll sketches of summary rows (base64, as
// the summaries hold them) into one, so that a report can count the
// distinct values of a whole day or of one value on a day. Estimates of
// different rows cannot be added: the same visitor may be in both.
type Sketch interface {
	Merge(base64 string) error
	Estimate() int64
}

// A Builder gathers summary rows and writes the report. Set its fields,
// then call Add or ReadLocation for each source, then Data or WriteHTML.
type Builder struct {
	// Since and Until (YYYY-MM-DD, inclusive) leave out the rows of other
	// dates; "" is no bound.
	Since, Until string
	// Title heads the page; "" is "pmdp report" with the busiest host.
	Title string
	// Sources describe where the data came from, for the page's heading.
	Sources []string
	// MaxValues bounds the values of each column; 0 is DefaultMaxValues.
	MaxValues int
	// NewSketch returns an empty Sketch. With it, the distinct count of a
	// day (or of a value on a day) that several rows make up is the
	// estimate of their merged sketches; without it, such a count is
	// unknown and only those that one row gives are shown.
	NewSketch func() Sketch
	// Now is when the report is made; time.Now when nil.
	Now func() time.Time

	days    map[string]*cell
	tables  map[string]*table
	columns []string // the group columns seen, in order of appearance
	// distinct is set once a row with a distinct count was added.
	distinct bool
}

// cell counts the requests of a date, or of one value on a date, and the
// distinct values among them.
type cell struct {
	count    int64
	rows     int
	distinct int64  // -1: unknown
	sketch   string // the one row's sketch, while rows == 1
	merged   Sketch // once there were two rows and a NewSketch
}

func (c *cell) add(r row, newSketch func() Sketch) error {
	c.count += r.count
	c.rows++
	if c.rows == 1 {
		c.distinct, c.sketch = r.distinct, r.sketch
		return nil
	}
	// A second row: its count joins this one only through the sketches.
	mergeable := c.distinct >= 0 && r.distinct >= 0 && r.sketch != "" && newSketch != nil && (c.sketch != "" || c.merged != nil)
	if !mergeable {
		c.distinct, c.sketch, c.merged = -1, "", nil
		return nil
	}
	if c.merged == nil {
		c.merged = newSketch()
		if err := c.merged.Merge(c.sketch); err != nil {
			return err
		}
		c.sketch = ""
	}
	if err := c.merged.Merge(r.sketch); err != nil {
		return err
	}
	c.distinct = c.merged.Estimate()
	return nil
}

// table counts the values of one column by date.
type table struct {
	column string
	values map[string]map[string]*cell // value -> date -> cell
}

func (b *Builder) inRange(date string) bool {
	return (b.Since == "" || date >= b.Since) && (b.Until == "" || date <= b.Until)
}

// addColumns notes the group columns of a summary.
func (b *Builder) addColumns(cols []string) {
	if b.tables == nil {
		b.days, b.tables = map[string]*cell{}, map[string]*table{}
	}
	for _, c := range cols {
		if c == "date" || c == "hour" || b.tables[c] != nil {
			continue
		}
		b.tables[c] = &table{column: c, values: map[string]map[string]*cell{}}
		b.columns = append(b.columns, c)
	}
}

func (b *Builder) add(date string, cols []string, r row) error {
	if r.distinct >= 0 {
		b.distinct = true
	}
	if err := cellOf(b.days, date).add(r, b.NewSketch); err != nil {
		return err
	}
	for i, c := range cols {
		t := b.tables[c]
		if t == nil {
			continue // date or hour
		}
		byDate := t.values[r.values[i]]
		if byDate == nil {
			byDate = map[string]*cell{}
			t.values[r.values[i]] = byDate
		}
		if err := cellOf(byDate, date).add(r, b.NewSketch); err != nil {
			return err
		}
	}
	return nil
}

func cellOf(m map[string]*cell, key string) *cell {
	c := m[key]
	if c == nil {
		c = &cell{}
		m[key] = c
	}
	return c
}

// Data is what the page shows, as it embeds it.
type Data struct {
	Version   int    `json:"version"` // of this layout: 1
	Generated string `json:"generated"`
	// Dates are every date from the first with requests to the last.
	Dates    []string `json:"dates"`
	Requests []int64  `json:"requests"` // of each date
	// Visitors holds the distinct count of each date, -1 where unknown;
	// nil when no summary counts distinct values.
	Visitors []int64 `json:"visitors"`
	Tables   []Table `json:"tables"`
}

// Table is the values of one column.
type Table struct {
	Column string `json:"column"` // as the summaries name it: path, query:ev
	Title  string `json:"title"`
	// Values by requests over all dates, most first; a cut leaves the
	// others summed as OtherValue, last.
	Values []string `json:"values"`
	// Cells holds, for each value, one [date index, requests, distinct]
	// per date it has requests on; distinct is -1 where unknown.
	Cells [][][3]int64 `json:"cells"`
}

// Data returns the report's data.
func (b *Builder) Data() *Data {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	d := &Data{Version: 1, Generated: now().UTC().Format(time.RFC3339), Dates: []string{}, Requests: []int64{}, Tables: []Table{}}
	if len(b.days) == 0 {
		return d
	}
	first, last := minKey(b.days), maxKey(b.days)
	index := map[string]int{}
	start, _ := time.Parse(time.DateOnly, first)
	for t := start; t.Format(time.DateOnly) <= last; t = t.AddDate(0, 0, 1) {
		date := t.Format(time.DateOnly)
		index[date] = len(d.Dates)
		d.Dates = append(d.Dates, date)
		c := b.days[date]
		if c == nil {
			c = &cell{}
		}
		d.Requests = append(d.Requests, c.count)
		if b.distinct {
			d.Visitors = append(d.Visitors, c.distinct)
		}
	}
	for _, col := range b.tableOrder() {
		d.Tables = append(d.Tables, b.tables[col].data(index, b.maxValues(), b.distinct))
	}
	return d
}

func (b *Builder) maxValues() int {
	if b.MaxValues > 0 {
		return b.MaxValues
	}
	return DefaultMaxValues
}

// tableOrder puts the columns people look at first first.
func (b *Builder) tableOrder() []string {
	first := []string{"query:p", "path", "query:ev", "status", "host", "method"}
	cols := slices.Clone(b.columns)
	slices.SortStableFunc(cols, func(x, y string) int {
		return cmp.Compare(rank(first, x), rank(first, y))
	})
	return cols
}

func rank(order []string, s string) int {
	if i := slices.Index(order, s); i >= 0 {
		return i
	}
	return len(order)
}

// titles name the tables of the usual columns.
var titles = map[string]string{
	"query:p":  "Pages",
	"path":     "Paths",
	"query:ev": "Events",
	"status":   "Status codes",
	"host":     "Hosts",
	"method":   "Methods",
	"type":     "Connection types",
	"action":   "Load balancer actions",
	"bot":      "Bots",
}

func title(column string) string {
	if t, ok := titles[column]; ok {
		return t
	}
	if name, ok := strings.CutPrefix(column, "query:"); ok {
		return "Query parameter " + name
	}
	return column
}

func (t *table) data(index map[string]int, maxValues int, distinct bool) Table {
	type total struct {
		value string
		count int64
	}
	totals := make([]total, 0, len(t.values))
	for v, byDate := range t.values {
		var n int64
		for _, c := range byDate {
			n += c.count
		}
		totals = append(totals, total{v, n})
	}
	slices.SortFunc(totals, func(a, b total) int {
		return cmp.Or(cmp.Compare(b.count, a.count), strings.Compare(a.value, b.value))
	})
	cellsOf := func(v string) map[string]*cell { return t.values[v] }
	if len(totals) > maxValues {
		kept := make([]total, 0, maxValues)
		other := map[string]*cell{}
		for _, tot := range totals {
			if len(kept) < maxValues-1 && tot.value != OtherValue {
				kept = append(kept, tot)
				continue
			}
			for date, c := range t.values[tot.value] {
				o := cellOf(other, date)
				o.count += c.count
				o.distinct = -1 // the values' visitors may overlap
			}
		}
		totals = append(kept, total{value: OtherValue})
		cellsOf = func(v string) map[string]*cell {
			if v == OtherValue {
				return other
			}
			return t.values[v]
		}
	}
	out := Table{Column: t.column, Title: title(t.column), Values: make([]string, len(totals)), Cells: make([][][3]int64, len(totals))}
	for i, tot := range totals {
		out.Values[i] = tot.value
		byDate := cellsOf(tot.value)
		cells := make([][3]int64, 0, len(byDate))
		for _, date := range slices.Sorted(maps.Keys(byDate)) {
			c := byDate[date]
			distinctOf := int64(-1)
			if distinct {
				distinctOf = c.distinct
			}
			cells = append(cells, [3]int64{int64(index[date]), c.count, distinctOf})
		}
		out.Cells[i] = cells
	}
	return out
}

func minKey(m map[string]*cell) string { return slices.Min(slices.Collect(maps.Keys(m))) }
func maxKey(m map[string]*cell) string { return slices.Max(slices.Collect(maps.Keys(m))) }
