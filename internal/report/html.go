package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"strings"
)

var (
	//go:embed page.html
	pageHTML string
	//go:embed page.js
	pageJS string
	//go:embed page.css
	pageCSS string
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
//
// The page is filled in by hand rather than with html/template: a program
// that links text/template's method lookup keeps every exported method of
// every type, which grew the Lambda binary by 6 MB. The page has few
// holes, each in one context: text in elements and a quoted attribute,
// escaped with html.EscapeString, and the data, whose JSON encoding
// escapes <, > and & (and U+2028, U+2029), so no value can end the
// script element it sits in.
func (b *Builder) WriteHTML(w io.Writer) error {
	d := b.Data()
	var data bytes.Buffer
	if err := json.NewEncoder(&data).Encode(d); err != nil {
		return err
	}
	made := "Made " + d.Generated
	if len(b.Sources) > 0 {
		made = "From " + strings.Join(b.Sources, ", ") + "; made " + d.Generated
	}
	page := strings.NewReplacer(
		"{{policy}}", html.EscapeString(policy),
		"{{title}}", html.EscapeString(b.title()),
		"{{made}}", html.EscapeString(made),
		"{{style}}", pageCSS,
		"{{script}}", pageJS,
		"{{data}}", strings.TrimSuffix(data.String(), "\n"),
	).Replace(pageHTML)
	_, err := io.WriteString(w, page)
	return err
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
