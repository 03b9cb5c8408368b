package index

import (
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/search"

	"github.com/distrisearch/distrisearch"
)

// snippetFields are highlighted when a request asks for snippets.
var snippetFields = []string{fieldContent, fieldName, fieldTitle}

// hit converts one bleve match, reading the stored fields.
func hit(d *search.DocumentMatch) distrisearch.Hit {
	str := func(k string) string {
		s, _ := d.Fields[k].(string)
		return s
	}
	h := distrisearch.Hit{
		FileID: d.ID,
		Score:  d.Score,
		NodeID: str(fieldNode),
		Share:  str(fieldShare),
		Path:   str(fieldPath),
		Name:   str(fieldName),
		Ext:    str(fieldExt),
		Type:   str(fieldType),
		Title:  str(fieldTitle),
	}
	if v, ok := d.Fields[fieldSize].(float64); ok {
		h.Size = int64(v)
	}
	if v := str(fieldModified); v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			h.ModTime = t.UTC()
		}
	}
	for _, f := range snippetFields {
		frags := d.Fragments[f]
		if f != fieldContent && !marked(frags) {
			continue // the content's leading fragment is a preview; a bare name is not
		}
		if len(frags) > 0 {
			if h.Snippets == nil {
				h.Snippets = make(map[string][]string, len(snippetFields))
			}
			h.Snippets[f] = frags
		}
	}
	return h
}

func marked(frags []string) bool {
	for _, f := range frags {
		if strings.Contains(f, "<mark>") {
			return true
		}
	}
	return false
}
