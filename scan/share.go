package scan

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/distrisearch/distrisearch"
)

// Share is a named folder that a node scans and serves.
type Share struct {
	Name string `json:"name"` // [a-z0-9_-]{1,64}
	Root string `json:"root"` // absolute path of an existing directory
}

var validShareName = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// ParseShare parses "name=/path/to/folder" (the --share flag) and validates
// the result.
func ParseShare(s string) (Share, error) {
	name, root, ok := strings.Cut(s, "=")
	if !ok {
		return Share{}, distrisearch.Errorf(distrisearch.KindInvalid, "bad_share", "share %q: want name=/path/to/folder", s)
	}
	sh := Share{Name: name, Root: root}
	if filepath.IsAbs(root) {
		sh.Root = filepath.Clean(root)
	}
	return sh, sh.Validate()
}

// Validate checks the name and that Root is an absolute path to an existing
// directory.
func (s Share) Validate() error {
	if !validShareName.MatchString(s.Name) {
		return distrisearch.Errorf(distrisearch.KindInvalid, "bad_share",
			"share name %q: use 1 to 64 characters among a-z, 0-9, _ and -", s.Name)
	}
	if !filepath.IsAbs(s.Root) {
		return distrisearch.Errorf(distrisearch.KindInvalid, "bad_share", "share %s: root %q is not an absolute path", s.Name, s.Root)
	}
	fi, err := os.Stat(s.Root)
	if err != nil {
		return &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_share",
			Message: "share " + s.Name + ": root " + s.Root + " is not accessible", Err: err}
	}
	if !fi.IsDir() {
		return distrisearch.Errorf(distrisearch.KindInvalid, "bad_share", "share %s: root %s is not a directory", s.Name, s.Root)
	}
	return nil
}
