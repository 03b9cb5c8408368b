package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	ds "github.com/distrisearch/distrisearch"
)

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("search", stderr)
	srv := addServerFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON response")
	limit := fs.Int("limit", 10, "hits per page (1-200)")
	sortBy := fs.String("sort", "relevance", "relevance, modified, size or name")
	order := fs.String("order", "", "asc or desc (default depends on sort)")
	cursor := fs.String("cursor", "", "continue from a previous page's next_cursor")
	facets := fs.Bool("facets", false, "show facets")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: distrisearch search [flags] QUERY\n\nQuery language: docs/query-language.md (terms, \"phrases\", prefix*, fuzzy~1, +must -not, type:pdf ext:go size:>1MB modified:>=2025-01-01 path:reports/ share:docs)")
		fs.PrintDefaults()
	}
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	query := strings.Join(words, " ")
	if strings.TrimSpace(query) == "" {
		return usageError{"a query is required, e.g. distrisearch search 'quarterly report'"}
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	req := ds.SearchRequest{Query: query, Limit: *limit, Cursor: *cursor, Sort: *sortBy, Facets: *facets || *asJSON, Highlight: true}
	req.Desc = *sortBy != ds.SortName
	switch *order {
	case "asc":
		req.Desc = false
	case "desc":
		req.Desc = true
	case "":
	default:
		return usageError{"--order must be asc or desc"}
	}
	res, err := c.Search(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printResults(stdout, res, *facets)
	return nil
}

var markRE = regexp.MustCompile(`</?mark>`)

func printResults(w io.Writer, res ds.SearchResult, facets bool) {
	fmt.Fprintf(w, "%d files match (%.1f ms", res.Total, res.TookMS)
	if res.Partitions.Total > 0 {
		fmt.Fprintf(w, ", %d/%d partitions", res.Partitions.Answered, res.Partitions.Total)
	}
	fmt.Fprintln(w, ")")
	if res.Partial {
		fmt.Fprintf(w, "WARNING: partial results, partitions missing: %s\n", strings.Join(res.Partitions.Missing, ", "))
	}
	for i, h := range res.Hits {
		fmt.Fprintf(w, "\n%2d. %s:%s  (%s, %s, %s)\n", i+1, h.Share, h.Path, h.Type, humanBytes(h.Size), h.ModTime.Format("2006-01-02"))
		if h.Title != "" && h.Title != h.Name {
			fmt.Fprintf(w, "    %s\n", h.Title)
		}
		for _, field := range []string{"content", "title", "name", "path"} {
			for _, frag := range h.Snippets[field] {
				fmt.Fprintf(w, "    %s\n", oneLine(unmark(frag)))
				break
			}
			if len(h.Snippets[field]) > 0 {
				break
			}
		}
		fmt.Fprintf(w, "    id %s  node %s  score %.3f\n", h.FileID, h.NodeID, h.Score)
	}
	if res.NextCursor != "" {
		fmt.Fprintf(w, "\nmore: --cursor %s\n", res.NextCursor)
	}
	if facets && len(res.Facets) > 0 {
		names := make([]string, 0, len(res.Facets))
		for n := range res.Facets {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(w, "\nfacets:")
		for _, n := range names {
			parts := make([]string, 0, len(res.Facets[n]))
			for _, f := range res.Facets[n] {
				parts = append(parts, fmt.Sprintf("%s (%d)", f.Term, f.Count))
			}
			fmt.Fprintf(w, "  %-9s %s\n", n+":", strings.Join(parts, ", "))
		}
	}
}

// unmark turns <mark>x</mark> into [x] and unescapes the HTML entities of snippets.
func unmark(s string) string {
	s = markRE.ReplaceAllStringFunc(s, func(m string) string {
		if m == "<mark>" {
			return "["
		}
		return "]"
	})
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&amp;", "&")
	return r.Replace(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
