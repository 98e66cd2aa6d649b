package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"io"
)

var (
	//go:embed page.html
	pageHTML string
	//go:embed page.js
	pageJS string
	//go:embed page.css
	pageCSS string

	page = template.Must(template.New("report").Parse(pageHTML))
)

// policy lets the page run its own script and style and load nothing at
// all: no request leaves it, and markup that slipped in could not run.
var policy = "default-src 'none'; script-src " + hash(pageJS) + "; style-src " + hash(pageCSS) +
	"; img-src data:; base-uri 'none'; form-action 'none'"

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// WriteHTML writes the report page.
func (b *Builder) WriteHTML(w io.Writer) error {
	d := b.Data()
	return page.Execute(w, struct {
		Title, Generated string
		Sources          []string
		Policy           string
		Style            template.CSS
		Script           template.JS
		Data             *Data
	}{
		Title:     b.title(),
		Generated: d.Generated,
		Sources:   b.Sources,
		Policy:    policy,
		Style:     template.CSS(pageCSS),
		Script:    template.JS(pageJS),
		Data:      d,
	})
}

// title is the Builder's, or names the host with the most requests.
func (b *Builder) title() string {
	if b.Title != "" {
		return b.Title
	}
	t := b.tables["host"]
	if t == nil {
		return "pmdp report"
	}
	var top string
	var most int64 = -1
	for v, byDate := range t.values {
		var n int64
		for _, c := range byDate {
			n += c.count
		}
		if n > most || n == most && v < top {
			top, most = v, n
		}
	}
	if top == "" || top == OtherValue {
		return "pmdp report"
	}
	return "pmdp report: " + top
}
