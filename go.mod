module github.com/pmdp/pmdp

go 1.26.0

require (
	github.com/klauspost/compress v1.20.4
	github.com/klauspost/readahead v1.4.0
)
