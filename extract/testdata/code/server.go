// Package ratelimit implements a token bucket for the parseConfig example.
package ratelimit

import "sync"

// Bucket guards tokens with a sync.Mutex.
type Bucket struct {
	mu     sync.Mutex
	tokens int
}

func parseConfig(path string) (*Bucket, error) {
	return &Bucket{tokens: 42}, nil // ünïcödé comment
}
