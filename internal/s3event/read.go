package s3event

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-lambda-go/events"
)

// Read returns the records of the S3 notifications in r, in order: r holds
// one JSON document (pretty-printed or not) or one document a line, blank
// lines aside. A document is an S3 event or one that carries an event, as
// a Lambda on-failure destination's record does ({"requestPayload":
// <event>, ...}) and the local pipeline's failure record does ({"event":
// <event>, ...}), so what a failure queue or file holds can be fed back as
// it is. A scheduled rollup sweep ({"pmdp": ...}), which fails into the
// same queue, names no object and is passed over. A document without
// records is an error, since it names nothing to process.
func Read(r io.Reader) ([]events.S3EventRecord, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if json.Valid(data) {
		recs, err := records(data)
		if err == nil && len(recs) == 0 {
			err = errOnlySweeps
		}
		return recs, err
	}
	var all []events.S3EventRecord
	sweeps := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20) // a record of a large event, on one line
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		recs, err := records(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if recs == nil {
			sweeps++
		}
		all = append(all, recs...)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	switch {
	case all == nil && sweeps > 0:
		return nil, fmt.Errorf("%w (%d of them)", errOnlySweeps, sweeps)
	case all == nil:
		return nil, errors.New("no S3 event records")
	}
	return all, nil
}

// errOnlySweeps is the error for a failure record that holds rollup sweeps
// and nothing else: they name no log to process, and rebuilding rollups is
// another command's work.
var errOnlySweeps = errors.New("no S3 event records, only rollup sweeps: 'pmdp rollup s3://BUCKET' rebuilds their rollups, and the next scheduled sweep does too")

// records decodes one document; a rollup sweep gives no records and no
// error.
func records(doc []byte) ([]events.S3EventRecord, error) {
	var d struct {
		RequestPayload json.RawMessage `json:"requestPayload"` // Lambda destination record
		Event          json.RawMessage `json:"event"`          // local failure record
		events.S3Event
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	ev := d.S3Event
	var sweep struct {
		Op string `json:"pmdp"`
	}
	_ = json.Unmarshal(doc, &sweep) // doc is valid JSON: decoded above
	for _, inner := range []json.RawMessage{d.RequestPayload, d.Event} {
		// Only an object carries an event; JSON matches names in any case,
		// so "event" also catches the "Event": "s3:TestEvent" of S3's test
		// notification.
		if len(inner) > 0 && inner[0] == '{' {
			if err := json.Unmarshal(inner, &ev); err != nil {
				return nil, err
			}
			_ = json.Unmarshal(inner, &sweep)
		}
	}
	if sweep.Op != "" {
		return nil, nil
	}
	if len(ev.Records) == 0 {
		return nil, errors.New("no S3 event records")
	}
	return ev.Records, nil
}
