package index

import (
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/registry"
)

// stemFilterName is bleve's Porter stemmer with a cache of the stems
// already computed: the same terms, without converting every token to
// runes and back (code repeats its words: the cache answers most tokens).
const stemFilterName = "ds_porter"

// maxCachedStems bounds the cache; once full, new words are stemmed
// without being remembered.
const maxCachedStems = 1 << 17

func init() {
	mustRegister(registry.RegisterTokenFilter(stemFilterName,
		func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) { return stemFilter{stems}, nil }))
}

// stems is shared by every analyzer of the process: a term's stem never
// changes.
var stems = &stemCache{m: make(map[string][]byte)}

type stemCache struct {
	mu sync.RWMutex // guards m
	m  map[string][]byte
}

type stemFilter struct{ c *stemCache }

// Filter replaces each token's term by its Porter stem. Cached stems are
// shared between tokens: later filters must not change terms in place
// (the length filter, the only one after it, does not).
func (f stemFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, tok := range in {
		if tok.KeyWord {
			continue
		}
		tok.Term = f.c.stem(tok.Term)
	}
	return in
}

func (c *stemCache) stem(term []byte) []byte {
	c.mu.RLock()
	s, ok := c.m[string(term)]
	n := len(c.m)
	c.mu.RUnlock()
	if ok {
		return s
	}
	one := analysis.Token{Term: term}
	porter.NewPorterStemmer().Filter(analysis.TokenStream{&one})
	s = one.Term
	if n < maxCachedStems {
		c.mu.Lock()
		if len(c.m) < maxCachedStems {
			c.m[string(term)] = s
		}
		c.mu.Unlock()
	}
	return s
}
