package bench

import (
	"fmt"
	"os"
	"path/filepath"
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
		f, err := os.Open(filepath.Join(dir, name))
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

// cranFile is the file name of a Cranfield document in the share.
func cranFile(id string) string { return id + ".txt" }

// cranID is the document id of a file name written by cranFile.
func cranID(name string) string { return strings.TrimSuffix(name, ".txt") }

// WriteShare writes each document's text (.W, which starts with its
// title) to dir/<id>.txt: the same text the baseline indexes.
func (c *Cranfield) WriteShare(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cranfield share: %w", err)
	}
	for _, d := range c.Docs {
		if err := os.WriteFile(filepath.Join(dir, cranFile(d.ID)), []byte(d.Text+"\n"), 0o644); err != nil {
			return fmt.Errorf("cranfield share: %w", err)
		}
	}
	return nil
}
