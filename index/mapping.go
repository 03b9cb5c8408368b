package index

import (
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/length"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion changes whenever the mapping or the analyzers change in a
// way that makes an existing index inconsistent with new queries. Open
// refuses an index built with another version; the caller rebuilds it from
// the record store.
const MappingVersion = 4

// Analyzer names defined in the mapping.
const (
	// TextAnalyzer analyzes prose and code: code tokens, sub-words,
	// possessives, lower case, English stop words, Porter stemming.
	TextAnalyzer = "ds_text"
	// ExactAnalyzer keeps whole tokens, lower-cased, unstemmed: an exact
	// match of a word or identifier scores on top of the TextAnalyzer match.
	ExactAnalyzer = "ds_exact"
	pathAnalyzer  = "ds_path"
	sortAnalyzer  = "ds_sort"

	lengthFilterName = "ds_max_length" // drops tokens over maxTokenBytes characters
)

// Index field names.
const (
	fieldNode       = "node"
	fieldShare      = "share"
	fieldPath       = "path"      // keyword: the path, stored, path:x* prefixes
	fieldPathTree   = "path_tree" // every ancestor directory: path:x
	fieldPathText   = "path_text" // words of the path for plain terms
	fieldName       = "name"
	fieldNameExact  = "name_exact"
	fieldNameSort   = "name_sort"
	fieldExt        = "ext"
	fieldType       = "type"
	fieldSize       = "size"
	fieldModified   = "modified"
	fieldTitle      = "title"
	fieldTitleExact = "title_exact"
	fieldContent    = "content"
	fieldMeta       = "meta"
	fieldPartition  = "partition" // keyword: the data-plane partition of the record key (Options.PartitionOf)
)

// storedFields are loaded for every hit.
var storedFields = []string{
	fieldNode, fieldShare, fieldPath, fieldName, fieldExt, fieldType, fieldSize, fieldModified, fieldTitle,
}

// NewMapping returns the index mapping of a partition. Every field is
// explicit: nothing is dynamic and nothing goes to the _all field, so a
// query always names its fields. Scoring is BM25.
func NewMapping() (*mapping.IndexMappingImpl, error) {
	m := mapping.NewIndexMapping()
	m.ScoringModel = bindex.BM25Scoring
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	m.DefaultAnalyzer = TextAnalyzer
	if err := m.AddCustomTokenFilter(lengthFilterName, map[string]any{
		"type": length.Name, "max": float64(maxTokenBytes),
	}); err != nil {
		return nil, err
	}
	analyzers := map[string]map[string]any{
		TextAnalyzer: {
			"type":      custom.Name,
			"tokenizer": codeTokenizerName,
			"token_filters": []any{
				subwordFilterName, en.PossessiveName, lowercase.Name, en.StopName, stemFilterName, lengthFilterName,
			},
		},
		ExactAnalyzer: {
			"type":          custom.Name,
			"tokenizer":     codeTokenizerName,
			"token_filters": []any{en.PossessiveName, lowercase.Name, en.StopName, lengthFilterName},
		},
		pathAnalyzer: {
			"type":      custom.Name,
			"tokenizer": pathTokenizerName,
		},
		sortAnalyzer: {
			"type":          custom.Name,
			"tokenizer":     single.Name,
			"token_filters": []any{lowercase.Name},
		},
	}
	for name, def := range analyzers {
		if err := m.AddCustomAnalyzer(name, def); err != nil {
			return nil, err
		}
	}

	doc := mapping.NewDocumentStaticMapping()
	kw := func(name string) *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Name = name
		f.Analyzer = keyword.Name
		f.Store = true
		f.DocValues = true
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		return f
	}
	text := func(name, analyzer string, store, vectors bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Name = name
		f.Analyzer = analyzer
		f.Store = store
		f.IncludeTermVectors = vectors
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	for _, name := range []string{fieldNode, fieldShare, fieldExt, fieldType} {
		doc.AddFieldMappingsAt(name, kw(name))
	}
	part := kw(fieldPartition)
	part.Store, part.DocValues = false, false
	doc.AddFieldMappingsAt(fieldPartition, part)
	pathKw := kw(fieldPath)
	pathKw.DocValues = false
	pathTree := text(fieldPathTree, pathAnalyzer, false, false)
	doc.AddFieldMappingsAt(fieldPath, pathKw, pathTree, text(fieldPathText, TextAnalyzer, false, false))

	nameSort := text(fieldNameSort, sortAnalyzer, false, false)
	nameSort.DocValues = true
	doc.AddFieldMappingsAt(fieldName,
		text(fieldName, TextAnalyzer, true, true),
		text(fieldNameExact, ExactAnalyzer, false, false),
		nameSort)
	doc.AddFieldMappingsAt(fieldTitle,
		text(fieldTitle, TextAnalyzer, true, true),
		text(fieldTitleExact, ExactAnalyzer, false, false))
	// Content is indexed with term vectors (phrases, snippet locations)
	// but not stored: snippets come from the record store's text
	// (Options.Text), so loading a hit never decompresses its content.
	doc.AddFieldMappingsAt(fieldContent,
		text(fieldContent, TextAnalyzer, false, true))
	doc.AddFieldMappingsAt(fieldMeta, text(fieldMeta, TextAnalyzer, false, false))

	size := mapping.NewNumericFieldMapping()
	size.Name, size.Store, size.DocValues, size.IncludeInAll = fieldSize, true, true, false
	doc.AddFieldMappingsAt(fieldSize, size)
	mod := mapping.NewDateTimeFieldMapping()
	mod.Name, mod.Store, mod.DocValues, mod.IncludeInAll = fieldModified, true, true, false
	doc.AddFieldMappingsAt(fieldModified, mod)

	m.DefaultMapping = doc
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}
