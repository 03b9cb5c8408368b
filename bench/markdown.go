package bench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Generated parts of a Markdown document live between two HTML comments,
// <!-- bench:NAME:begin --> and <!-- bench:NAME:end -->, so the rest of the
// document is written by people and left alone.

func markers(name string) (begin, end string) {
	return "<!-- bench:" + name + ":begin -->", "<!-- bench:" + name + ":end -->"
}

// ReplaceSection returns doc with the text of section name replaced by
// body. A missing section is appended at the end of doc.
func ReplaceSection(doc, name, body string) string {
	begin, end := markers(name)
	body = strings.TrimRight(body, "\n") + "\n"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			doc += "\n"
		}
		return doc + begin + "\n" + body + end + "\n"
	}
	return doc[:i+len(begin)] + "\n" + body + doc[j:]
}

// AppendToSection returns doc with line added as the last line of section
// name. A missing or empty section is created holding header and then line
// (a table's header rows, for example).
func AppendToSection(doc, name, header, line string) string {
	begin, end := markers(name)
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i || strings.TrimSpace(doc[i+len(begin):j]) == "" {
		return ReplaceSection(doc, name, strings.TrimRight(header, "\n")+"\n"+line)
	}
	body := strings.TrimRight(doc[i+len(begin):j], "\n")
	return ReplaceSection(doc, name, strings.TrimLeft(body, "\n")+"\n"+line)
}

// UpdateFile applies edit to the Markdown file at path and writes it back
// through a temporary file and a rename. A missing file starts as a level-1
// heading with title.
func UpdateFile(path, title string, edit func(string) string) error {
	old, err := os.ReadFile(path) // #nosec G304 -- the report file the operator names
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = []byte("# " + title + "\n")
	case err != nil:
		return fmt.Errorf("read report: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bench-*.md")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(edit(string(old))); err != nil {
		tmp.Close()
		return fmt.Errorf("write report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
