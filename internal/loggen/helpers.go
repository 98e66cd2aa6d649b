package loggen

import (
	"bytes"

	"github.com/klauspost/compress/gzip"
)

// Gzip compresses data as one gzip member, as load balancers deliver logs.
func Gzip(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data) // writes to a bytes.Buffer do not fail
	w.Close()
	return b.Bytes()
}

// SplitByDate groups the lines of an ALB log by the UTC date their
// timestamp (the second field) starts with. Lines without one, which no
// parser can use, are left out. It lets tests build what a per-date
// summary must hold from the lines of that date alone.
func SplitByDate(log []byte) map[string][]byte {
	byDate := map[string][]byte{}
	for _, l := range bytes.SplitAfter(log, []byte("\n")) {
		f := bytes.Fields(l)
		if len(f) < 2 || len(f[1]) < 11 || f[1][10] != 'T' || !isDate(f[1][:10]) {
			continue
		}
		d := string(f[1][:10])
		byDate[d] = append(byDate[d], l...)
	}
	return byDate
}

func isDate(b []byte) bool {
	for i, c := range b {
		if i == 4 || i == 7 {
			if c != '-' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
