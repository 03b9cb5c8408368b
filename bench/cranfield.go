package bench

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distrisearch/distrisearch/index/eval"
)

// Cranfield is the Cranfield collection: documents, queries and graded
// relevance judgements.
type Cranfield struct {
	Docs    []eval.Doc
	Queries []eval.Query
	Qrels   eval.Qrels
}

// LoadCranfield reads cran.all.1400, cran.qry and cranqrel from dir,
// keeping the first maxDocs documents (0: all). Judgements are joined to
// queries by position (see package eval).
func LoadCranfield(dir string, maxDocs int) (*Cranfield, error) {
	c := &Cranfield{}
	read := func(name string, parse func(*os.File) error) error {
		f, err := os.Open(filepath.Join(dir, name)) // #nosec G304 -- fixed Cranfield file names in the directory the operator names
		if err != nil {
			return fmt.Errorf("cranfield: %w", err)
		}
		defer f.Close()
		return parse(f)
	}
	err := read("cran.all.1400", func(f *os.File) (err error) { c.Docs, err = eval.ParseDocs(f); return })
	if err == nil {
		err = read("cran.qry", func(f *os.File) (err error) { c.Queries, err = eval.ParseQueries(f); return })
	}
	if err == nil {
		err = read("cranqrel", func(f *os.File) (err error) { c.Qrels, err = eval.ParseQrels(f); return })
	}
	if err != nil {
		return nil, err
	}
	if len(c.Docs) == 0 || len(c.Queries) == 0 {
		return nil, fmt.Errorf("cranfield: %s holds no documents or no queries", dir)
	}
	if maxDocs > 0 && maxDocs < len(c.Docs) {
		c.Docs = c.Docs[:maxDocs]
	}
	return c, nil
}

// File formats a Cranfield document can be written in.
const (
	// FormatText writes <id>.txt holding the .W text, whose first line is
	// the title: a file without a title field.
	FormatText = "txt"
	// FormatMarkdown writes <id>.md: the title as a "# " heading, then the
	// rest of the .W text. The words are those of FormatText; the product
	// knows which of them are the title.
	FormatMarkdown = "md"
)

// cranFile returns the file name and content of a Cranfield document.
func cranFile(d eval.Doc, format string) (name, content string, err error) {
	switch format {
	case FormatText:
		return d.ID + ".txt", d.Text + "\n", nil
	case FormatMarkdown:
		title := strings.Fields(d.Title)
		body := strings.Fields(d.Text)
		if len(body) >= len(title) && slices.Equal(body[:len(title)], title) {
			body = body[len(title):]
		}
		return d.ID + ".md", "# " + strings.Join(title, " ") + "\n\n" + strings.Join(body, " ") + "\n", nil
	}
	return "", "", fmt.Errorf("cranfield: unknown format %q (want %s or %s)", format, FormatText, FormatMarkdown)
}

// cranID is the document id of a file name written by cranFile.
func cranID(name string) string { return strings.TrimSuffix(name, path.Ext(name)) }

// WriteShare writes every document to dir in the given format and returns
// the files' names and contents, in document order.
func (c *Cranfield) WriteShare(dir, format string) (names, contents []string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("cranfield share: %w", err)
	}
	for _, d := range c.Docs {
		name, content, err := cranFile(d, format)
		if err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return nil, nil, fmt.Errorf("cranfield share: %w", err)
		}
		names, contents = append(names, name), append(contents, content)
	}
	return names, contents, nil
}
