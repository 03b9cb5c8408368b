package bench

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	bq "github.com/blevesearch/bleve/v2/search/query"
)

// DefaultQueries are the search-latency queries, written in the product's
// query language and chosen from the Go source tree: plain words,
// identifiers, phrases, several words, prefixes and fuzzy terms. Each one
// translates with BareQuery.
var DefaultQueries = []string{
	// words
	"mutex", "goroutine", "deadline", "checksum", "unmarshal", "tokenizer", "scheduler",
	"finalizer", "allocation", "syscall", "pprof", "handshake", "certificate", "utf8",
	"reflection", "benchmark", "deprecated", "panic", "compiler", "timeout",
	// identifiers
	"Marshal", "ParseInt", "ReadFull", "WaitGroup", "ServeHTTP", "NewReader", "sync.Mutex",
	"http.Handler", "io.EOF", "strconv.Itoa", "context.WithTimeout", "atomic.AddInt64",
	// phrases
	`"http server"`, `"garbage collector"`, `"stack trace"`, `"race detector"`,
	`"type checker"`, `"write barrier"`,
	// several words
	"http server", "read deadline timeout", "json decoder stream", "tls handshake", "zip reader",
	// prefixes
	"parse*", "marsh*", "goroutin*", "encod*", "compress*",
	// fuzzy
	"mutx~1", "gorutine~1", "recieve~1", "allocater~2", "marshall~1",
}

// BareQuery translates a benchmark query into the bleve query a bare
// program would run: each word, "phrase", prefix* or fuzzy~N searches the
// fields name, path and content (a disjunction), and every one of them
// must match (a conjunction), as the product requires for up to three
// words. Other syntax (fields, OR, +, -) is refused.
func BareQuery(text string) (bq.Query, error) {
	toks, err := splitQuery(text)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("bench: empty query")
	}
	var parts []bq.Query
	for _, t := range toks {
		leaf, err := bareLeaf(t)
		if err != nil {
			return nil, fmt.Errorf("bench: query %q: %w", text, err)
		}
		parts = append(parts, leaf)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return bleve.NewConjunctionQuery(parts...), nil
}

// bareLeaf searches one token in every bare field.
func bareLeaf(t string) (bq.Query, error) {
	var alts []bq.Query
	for _, f := range bareFields {
		switch {
		case strings.HasPrefix(t, `"`):
			q := bleve.NewMatchPhraseQuery(strings.Trim(t, `"`))
			q.SetField(f)
			alts = append(alts, q)
		case strings.HasSuffix(t, "*"):
			q := bleve.NewPrefixQuery(strings.ToLower(strings.TrimSuffix(t, "*")))
			q.SetField(f)
			alts = append(alts, q)
		case strings.Contains(t, "~"):
			i := strings.LastIndex(t, "~")
			n, err := strconv.Atoi(t[i+1:])
			if err != nil || n < 1 || n > 2 {
				return nil, fmt.Errorf("fuzzy distance in %q must be 1 or 2", t)
			}
			q := bleve.NewFuzzyQuery(strings.ToLower(t[:i]))
			q.SetFuzziness(n)
			q.SetField(f)
			alts = append(alts, q)
		default:
			if strings.ContainsAny(t, ":()+-\\") || t == "OR" || t == "AND" || t == "NOT" {
				return nil, fmt.Errorf("%q uses syntax the bare translation does not support", t)
			}
			q := bleve.NewMatchQuery(t)
			q.SetField(f)
			alts = append(alts, q)
		}
	}
	return bleve.NewDisjunctionQuery(alts...), nil
}

// splitQuery splits on spaces, keeping a "quoted phrase" as one token
// (with its quotes).
func splitQuery(text string) ([]string, error) {
	var toks []string
	for i := 0; i < len(text); {
		switch c := text[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '"':
			j := strings.IndexByte(text[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("bench: unterminated phrase in %q", text)
			}
			toks = append(toks, text[i:i+j+2])
			i += j + 2
		default:
			j := strings.IndexAny(text[i:], " \t")
			if j < 0 {
				j = len(text) - i
			}
			toks = append(toks, text[i:i+j])
			i += j
		}
	}
	return toks, nil
}
