package report

import "github.com/pmdp/pmdp/internal/hll"

// NewHLLSketch returns an empty Sketch over package hll, which reads the
// distinct_hll sketches pmdp's summaries and rollups hold: the Builder's
// NewSketch for every report pmdp makes.
func NewHLLSketch() Sketch { return &hllSketch{hll.New()} }

type hllSketch struct{ s *hll.Sketch }

func (h *hllSketch) Merge(base64 string) error {
	var other hll.Sketch
	if err := other.UnmarshalText([]byte(base64)); err != nil {
		return err
	}
	return h.s.Merge(&other)
}

func (h *hllSketch) Estimate() int64 { return h.s.Estimate() }
