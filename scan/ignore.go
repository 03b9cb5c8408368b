package scan

import (
	"path"
	"strings"
)

// ignorer matches share-relative paths against ignore patterns.
type ignorer struct {
	names []string // patterns matched against one name
	paths []string // patterns matched against the whole relative path
}

func newIgnorer(patterns []string) ignorer {
	var ig ignorer
	for _, p := range patterns {
		if strings.Contains(p, "/") {
			ig.paths = append(ig.paths, strings.Trim(p, "/"))
		} else {
			ig.names = append(ig.names, p)
		}
	}
	return ig
}

// match reports whether the entry rel (whose last element is name) is
// ignored by itself, not counting its parents.
func (ig ignorer) match(rel, name string) bool {
	for _, p := range ig.names {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	for _, p := range ig.paths {
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
	}
	return false
}

// matchAny reports whether rel or one of its parent directories is ignored.
func (ig ignorer) matchAny(rel string) bool {
	for i := 0; i <= len(rel); i++ {
		if i == len(rel) || rel[i] == '/' {
			sub := rel[:i]
			if ig.match(sub, path.Base(sub)) {
				return true
			}
		}
	}
	return false
}
