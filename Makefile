.PHONY: demo test build bench eval

demo:
	go run ./cmd/distrisearch demo

test:
	bash scripts/test.sh

build:
	CGO_ENABLED=0 go build -trimpath -o bin/distrisearch ./cmd/distrisearch

bench:
	go run ./cmd/distrisearch-bench ingest-search

eval:
	go run ./cmd/distrisearch-bench eval
