package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/extract"
	"github.com/distrisearch/distrisearch/index/eval"
	"github.com/distrisearch/distrisearch/index/query"
)

// EvalOptions configure RunEval. Start from DefaultEvalOptions.
type EvalOptions struct {
	Data    string // directory with cran.all.1400, cran.qry and cranqrel
	MaxDocs int    // index the first documents only (0: all)
	// MaxQueries: run the first queries only (0: all).
	MaxQueries int
	// Depth is how many ranked results per query the metrics see.
	Depth int
	// Format of the document files: FormatText or FormatMarkdown.
	Format  string
	WorkDir string // holds the run's temporary directory ("": the system's)
	Keep    bool   // keep the temporary directory
	Target  Launcher
	Wait    WaitOptions
	Log     io.Writer // progress lines; nil: none
}

// DefaultEvalOptions returns the options of `make eval` except the data
// directory.
func DefaultEvalOptions() EvalOptions {
	return EvalOptions{Depth: 1000, Format: FormatText, Target: NodeLauncher{}}
}

// Systems compared by RunEval.
const (
	SysBare       = "bare bleve: the extracted text, `en` analyzer, BM25, match query (any word)"
	SysProduct    = "product, default query (words as typed, escaped)"
	SysProductAny = "product, words joined with OR (any word)"
)

// EvalRow is one system's scores: means over all queries.
type EvalRow struct {
	System      string
	NDCG10, MAP float64
	// Better and Worse count queries whose nDCG@10 is above or below the
	// first row's (the baseline).
	Better, Worse int
}

// EvalReport is what RunEval measured.
type EvalReport struct {
	Date     time.Time
	Machine  Machine
	Revision string // the product's source revision, if the caller knows it
	Format   string // FormatText or FormatMarkdown
	Target   TargetInfo
	Docs     int
	Queries  int
	Depth    int
	Rows     []EvalRow // the baseline first
}

// PlainQuery turns free text into a query of the product's language that
// searches its words and nothing else: each whitespace-separated word is
// escaped (query.EscapeTerm), so punctuation, quotes, parentheses, colons
// and OR/AND/NOT are literal. With anyWord the words are joined with OR, so
// a document matching any of them is a hit; without, they are joined with
// spaces and the product's default rule applies (all of up to three words,
// any two of a longer query; index.MinShouldMatch).
func PlainQuery(text string, anyWord bool) string {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = query.EscapeTerm(w)
	}
	if anyWord {
		return strings.Join(words, " OR ")
	}
	return strings.Join(words, " ")
}

// RunEval indexes the Cranfield collection through the product and
// through a bare bleve index and scores both on the 225 queries.
func RunEval(ctx context.Context, o EvalOptions) (*EvalReport, error) {
	if o.Target == nil {
		o.Target = NodeLauncher{}
	}
	if o.Depth <= 0 {
		o.Depth = 1000
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	cran, err := LoadCranfield(o.Data, o.MaxDocs)
	if err != nil {
		return nil, err
	}
	if o.MaxQueries > 0 && o.MaxQueries < len(cran.Queries) {
		cran.Queries = cran.Queries[:o.MaxQueries]
	}
	if o.Format == "" {
		o.Format = FormatText
	}
	rep := &EvalReport{Date: time.Now().UTC(), Machine: ReadMachine(), Format: o.Format,
		Docs: len(cran.Docs), Queries: len(cran.Queries), Depth: o.Depth}

	work, err := os.MkdirTemp(o.WorkDir, "distrisearch-eval-")
	if err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	if o.Keep {
		logf("work directory: %s", work)
	} else {
		defer os.RemoveAll(work)
	}
	share := Share{Name: "cranfield", Root: filepath.Join(work, "share")}
	names, contents, err := cran.WriteShare(share.Root, o.Format)
	if err != nil {
		return nil, err
	}

	bare, err := cranBare(ctx, names, contents)
	if err != nil {
		return nil, err
	}
	defer bare.Close()

	logf("indexing %d Cranfield documents through the product ...", len(cran.Docs))
	t, err := o.Target.Launch(ctx, share, filepath.Join(work, "target"))
	if err != nil {
		return nil, err
	}
	defer t.Close()
	rep.Target = t.Info()
	if err := WaitSearchable(ctx, t, uint64(len(cran.Docs)), o.Wait); err != nil {
		return nil, err
	}
	c, err := client.NewWithOptions(t.SearchURL(), t.ClientOptions())
	if err != nil {
		return nil, err
	}

	systems := []struct {
		name string
		rank func(q string) ([]string, error)
	}{
		{SysBare, func(q string) ([]string, error) { return bareRank(ctx, bare, q, o.Depth) }},
		{SysProduct, func(q string) ([]string, error) { return productRank(ctx, c, PlainQuery(q, false), o.Depth) }},
		{SysProductAny, func(q string) ([]string, error) { return productRank(ctx, c, PlainQuery(q, true), o.Depth) }},
	}
	var base []float64
	for _, s := range systems {
		logf("running %d queries: %s ...", len(cran.Queries), s.name)
		var ndcgs, aps []float64
		for _, q := range cran.Queries {
			ranked, err := s.rank(q.Text)
			if err != nil {
				return nil, fmt.Errorf("%s: query %d: %w", s.name, q.Num, err)
			}
			gains := cran.Qrels.Gains(q.Num)
			ndcgs = append(ndcgs, eval.NDCG(ranked, gains, 10))
			aps = append(aps, eval.AveragePrecision(ranked, gains))
		}
		row := EvalRow{System: s.name, NDCG10: eval.Mean(ndcgs), MAP: eval.Mean(aps)}
		if base == nil {
			base = ndcgs
		} else {
			for i, n := range ndcgs {
				switch {
				case n > base[i]+1e-9:
					row.Better++
				case n < base[i]-1e-9:
					row.Worse++
				}
			}
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// cranBare builds the baseline for Cranfield: an in-memory scorch index
// with one field, text, analyzed by "en", scored by BM25, holding the text
// package extract gets from each file (as the product does).
func cranBare(ctx context.Context, names, contents []string) (bleve.Index, error) {
	m := mapping.NewIndexMapping()
	m.ScoringModel = bindex.BM25Scoring
	m.DefaultAnalyzer = en.AnalyzerName
	doc := mapping.NewDocumentStaticMapping()
	f := mapping.NewTextFieldMapping()
	f.Analyzer = en.AnalyzerName
	f.IncludeInAll = false
	doc.AddFieldMappingsAt("text", f)
	m.DefaultMapping = doc
	idx, err := bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("bare cranfield index: %w", err)
	}
	x := extract.New(extract.DefaultLimits())
	b := idx.NewBatch()
	for i, name := range names {
		res, err := x.Extract(ctx, name, strings.NewReader(contents[i]), int64(len(contents[i])))
		if err != nil {
			idx.Close()
			return nil, fmt.Errorf("extract %s: %w", name, err)
		}
		if err := b.Index(cranID(name), map[string]any{"text": res.Text}); err != nil {
			idx.Close()
			return nil, fmt.Errorf("bare cranfield index: %w", err)
		}
	}
	if err := idx.Batch(b); err != nil {
		idx.Close()
		return nil, fmt.Errorf("bare cranfield index: %w", err)
	}
	return idx, nil
}

// bareRank runs q as a match query (any word) on the text field.
func bareRank(ctx context.Context, idx bleve.Index, q string, depth int) ([]string, error) {
	mq := bleve.NewMatchQuery(q)
	mq.SetField("text")
	res, err := idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(mq, depth, 0, false))
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// productRank runs q through the API, following cursors until depth hits,
// and returns the documents' ids, best first.
func productRank(ctx context.Context, c *client.Client, q string, depth int) ([]string, error) {
	var ids []string
	req := ds.SearchRequest{Query: q, Limit: min(depth, ds.MaxLimit)}
	for len(ids) < depth {
		res, err := c.Search(ctx, req)
		if err != nil {
			return nil, err
		}
		if res.Partial {
			return nil, fmt.Errorf("partial result: %d of %d partitions answered", res.Partitions.Answered, res.Partitions.Total)
		}
		for _, h := range res.Hits {
			ids = append(ids, cranID(h.Name))
		}
		if res.NextCursor == "" || len(res.Hits) == 0 {
			break
		}
		req.Cursor = res.NextCursor
		req.Limit = min(depth-len(ids), ds.MaxLimit)
		if req.Limit <= 0 {
			break
		}
	}
	return ids[:min(len(ids), depth)], nil
}

// Sections of docs/relevance.md written by the eval command: the latest
// run of each file format (EvalSection + "-" + format) and the history.
const (
	EvalSection        = "eval"
	EvalHistorySection = "eval-history"
)

// EvalHistoryHeader is the header of the history table.
const EvalHistoryHeader = "| date (UTC) | revision | machine | files | docs | queries | bare nDCG@10 | bare MAP | product nDCG@10 | product MAP | product OR nDCG@10 | product OR MAP |\n" +
	"|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"

// Markdown returns the report as the latest-run section of
// docs/relevance.md; command is the command line that produced it.
func (r *EvalReport) Markdown(command string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("Latest run with `%s` files: %s UTC, `%s`.\n\n", r.Format, r.Date.Format("2006-01-02 15:04"), command)
	p("- Machine: %s.", r.Machine)
	if r.Revision != "" {
		p(" Source: %s.", r.Revision)
	}
	p("\n- Data: %d Cranfield documents written as %s; %d queries, graded judgements; the metrics see the top %d results of each query. Target: %s.\n\n",
		r.Docs, formatWords(r.Format), r.Queries, r.Depth, r.Target.Name)
	p("| System | nDCG@10 | MAP | Δ nDCG@10 | Δ MAP | queries better / worse (nDCG@10) |\n|---|---:|---:|---:|---:|---:|\n")
	for i, row := range r.Rows {
		if i == 0 {
			p("| %s | %.4f | %.4f | | | |\n", row.System, row.NDCG10, row.MAP)
			continue
		}
		base := r.Rows[0]
		p("| %s | %.4f | %.4f | %+.4f (%+.1f%%) | %+.4f (%+.1f%%) | %d / %d |\n", row.System, row.NDCG10, row.MAP,
			row.NDCG10-base.NDCG10, pct(row.NDCG10, base.NDCG10), row.MAP-base.MAP, pct(row.MAP, base.MAP), row.Better, row.Worse)
	}
	if len(r.Rows) > 1 {
		base, prod := r.Rows[0], r.Rows[1]
		p("\nProduct (default query) not worse than bare bleve on both metrics: **%s**.\n",
			verdict(prod.NDCG10 >= base.NDCG10 && prod.MAP >= base.MAP))
	}
	return b.String()
}

func pct(v, base float64) float64 {
	if base == 0 {
		return 0
	}
	return (v - base) / base * 100
}

// HistoryRow returns the report as one row of the history table.
func (r *EvalReport) HistoryRow() string {
	var cells []string
	for _, row := range r.Rows {
		cells = append(cells, fmt.Sprintf("%.4f | %.4f", row.NDCG10, row.MAP))
	}
	for len(cells) < 3 {
		cells = append(cells, " | ")
	}
	return fmt.Sprintf("| %s | %s | %s, %d cores, %s | %s | %d | %d | %s |", r.Date.Format("2006-01-02 15:04"), r.Revision,
		r.Machine.CPU, r.Machine.Cores, r.Machine.GoVersion, r.Format, r.Docs, r.Queries, strings.Join(cells[:3], " | "))
}

// UpdateDoc returns doc with the latest-run section replaced and a row
// added to the history table.
func (r *EvalReport) UpdateDoc(doc, command string) string {
	doc = ReplaceSection(doc, EvalSection+"-"+r.Format, r.Markdown(command))
	return AppendToSection(doc, EvalHistorySection, EvalHistoryHeader, r.HistoryRow())
}

func formatWords(format string) string {
	switch format {
	case FormatText:
		return "`<id>.txt` files holding the `.W` text (title on the first line)"
	case FormatMarkdown:
		return "`<id>.md` files: the title as a `#` heading, then the rest of the `.W` text"
	}
	return format
}
