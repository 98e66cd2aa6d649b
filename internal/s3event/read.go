package s3event

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/pmdp/pmdp/internal/contract"
)

// Read returns the records of the S3 notifications in r, in order: r holds
// one JSON document (pretty-printed or not), a JSON array of documents, or
// one document a line, blank lines aside. A document is an S3 event or one
// that carries an event, as a Lambda on-failure destination's record does
// ({"requestPayload": <event>, ...}) and the local pipeline's failure
// record does ({"event": <event>, ...}), so what a failure queue or file
// holds can be fed back as it is.
//
// A document may also be a backfill's failed batch as Step Functions'
// ResultWriter records it in FAILED_*.json (a JSON array, or JSON Lines
// with the JSONL output type): a child execution whose "Input" (a JSON
// string, or an object) is a contract.BackfillBatch. It gives one record
// per key of the batch in its bucket that lies in the batch's dates: the
// function skips the others, so reprocessing them would do what the
// backfill did not. Such a record's region is the execution's and its
// time is zero: the file does not say when the objects were created.
//
// A scheduled rollup sweep ({"pmdp": ...}), which fails into the same
// queue, names no object and is passed over. A document without records
// is an error, since it names nothing to process.
func Read(r io.Reader) ([]events.S3EventRecord, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' && json.Valid(trimmed) {
		return readArray(trimmed)
	}
	if json.Valid(data) {
		recs, err := records(data)
		switch {
		case err == nil && recs == nil:
			err = errOnlySweeps
		case err == nil && len(recs) == 0:
			err = errors.New("no S3 event records")
		}
		return recs, err
	}
	var g gathered
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20) // a record of a large event, on one line
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := g.add(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return g.records()
}

// readArray returns the records of a JSON array of documents, as a
// ResultWriter's FAILED_*.json holds them.
func readArray(data []byte) ([]events.S3EventRecord, error) {
	var docs []json.RawMessage
	if err := json.Unmarshal(data, &docs); err != nil {
		return nil, err
	}
	var g gathered
	for i, doc := range docs {
		if err := g.add(doc); err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return g.records()
}

// gathered holds the records of the documents of one file so far.
type gathered struct {
	all    []events.S3EventRecord
	sweeps int // documents without records: rollup sweeps, mostly
}

func (g *gathered) add(doc []byte) error {
	recs, err := records(doc)
	if err != nil {
		return err
	}
	if recs == nil {
		g.sweeps++
	}
	g.all = append(g.all, recs...)
	return nil
}

// records is what the file gave, or why it gave nothing.
func (g *gathered) records() ([]events.S3EventRecord, error) {
	switch {
	case g.all == nil && g.sweeps > 0:
		return nil, fmt.Errorf("%w (%d of them)", errOnlySweeps, g.sweeps)
	case g.all == nil:
		return nil, errors.New("no S3 event records")
	}
	return g.all, nil
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
		Input          json.RawMessage `json:"Input"`          // ResultWriter's child execution
		ExecutionArn   string          `json:"ExecutionArn"`
		events.S3Event
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	if d.Input != nil || d.ExecutionArn != "" {
		return batchRecords(d.ExecutionArn, d.Input)
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

// batchRecords returns the records of the keys of a backfill batch that
// failed in the child execution executionARN, whose input is input.
func batchRecords(executionARN string, input json.RawMessage) ([]events.S3EventRecord, error) {
	name := "child execution " + cmp.Or(executionARN, "(no ExecutionArn)")
	var text string
	if err := json.Unmarshal(input, &text); err == nil {
		input = json.RawMessage(text) // Step Functions writes the input as a JSON string
	}
	if len(bytes.TrimSpace(input)) == 0 || string(input) == "null" {
		return nil, fmt.Errorf("%s: the file holds no Input for it (InputDetails.Included false?)", name)
	}
	var batch contract.BackfillBatch
	if err := json.Unmarshal(input, &batch); err != nil {
		return nil, fmt.Errorf("%s: its Input is not a backfill batch: %w", name, err)
	}
	if err := batch.BatchInput.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	region := ""
	if a, err := arn.Parse(executionARN); err == nil {
		region = a.Region
	}
	objects := make([]Object, 0, len(batch.Items))
	for _, it := range batch.Items {
		if batch.BatchInput.Covers(it.Key) {
			objects = append(objects, Object{Key: it.Key})
		}
	}
	if len(objects) == 0 {
		// Not a sweep, and not an error: a batch stopped when the map
		// run failed may hold only keys the function would skip.
		return []events.S3EventRecord{}, nil
	}
	return ObjectCreated(region, batch.BatchInput.Bucket, time.Time{}, objects...).Records, nil
}
