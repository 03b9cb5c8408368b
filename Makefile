.PHONY: demo test build bench bench-cluster eval

demo:
	go run ./cmd/distrisearch demo

test:
	bash scripts/test.sh

build:
	CGO_ENABLED=0 go build -trimpath -o bin/distrisearch ./cmd/distrisearch

bench:
	go run ./cmd/distrisearch-bench ingest-search

bench-cluster:
	go run ./cmd/distrisearch-bench cluster -runs 3

eval:
	go run ./cmd/distrisearch-bench eval
