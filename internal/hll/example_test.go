package hll_test

import (
	"fmt"
	"log"

	"github.com/pmdp/pmdp/internal/hll"
)

func Example() {
	visitors := hll.New()
	for i := range 1000 {
		// Each visitor three times: duplicates do not count.
		for range 3 {
			visitors.AddString(fmt.Sprintf("198.51.100.%d Mozilla/5.0 (visitor %d)", i%256, i))
		}
	}
	fmt.Println(visitors.Estimate())
	// Output: 991
}

// Sketches of two days merge into a sketch of both: a visitor seen on both
// days counts once.
func ExampleSketch_Merge() {
	monday, tuesday := hll.New(), hll.New()
	for i := range 300 {
		monday.AddString(fmt.Sprint("visitor ", i))
	}
	for i := 200; i < 400; i++ {
		tuesday.AddString(fmt.Sprint("visitor ", i))
	}
	if err := monday.Merge(tuesday); err != nil {
		log.Fatal(err)
	}
	fmt.Println(monday.Estimate())
	// Output: 400
}

// The sketch of the single byte 64 is the one Airlift's own serialization
// test pins: sparse (format 2), p = 12, one entry.
func ExampleSketch_MarshalBinary() {
	s := hll.New()
	s.Add([]byte{64})
	b, err := s.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", b)
	// Output: 02 0c 01 00 42 34 20 21
}

// MarshalText gives the base64 that Athena reads with
// CAST(from_base64(col) AS HyperLogLog); UnmarshalText reads it back.
func ExampleSketch_MarshalText() {
	s := hll.New()
	s.AddString("203.0.113.7 curl/8.5.0")
	text, err := s.MarshalText()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(text))

	var back hll.Sketch
	if err := back.UnmarshalText(text); err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Estimate())
	// Output:
	// AgwBAIBqH8Y=
	// 1
}
