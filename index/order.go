package index

import (
	"fmt"
	"strconv"

	"github.com/blevesearch/bleve/v2/search"

	"github.com/distrisearch/distrisearch"
)

// sortKind is the type of one sort value, for cursor checks.
type sortKind uint8

const (
	kindScore sortKind = iota
	kindNumber
	kindDate
	kindString
	kindID
)

// order is a sort order: bleve sorts plus the file id as the tie-break,
// so that every order is total and cursors never skip or repeat a hit.
type order struct {
	key   string // names the order in cursors
	sorts search.SortOrder
	kinds []sortKind
}

// orderFor returns the order of a request. Relevance is always best first.
func orderFor(sort string, desc bool) (order, error) {
	dir := "asc"
	if desc {
		dir = "desc"
	}
	field := func(name string, typ search.SortFieldType, kind sortKind) order {
		return order{
			key: sort + ":" + dir,
			sorts: search.SortOrder{
				&search.SortField{Field: name, Type: typ, Desc: desc, Missing: search.SortFieldMissingLast},
				&search.SortDocID{},
			},
			kinds: []sortKind{kind, kindID},
		}
	}
	switch sort {
	case "", distrisearch.SortRelevance:
		return order{
			key:   distrisearch.SortRelevance,
			sorts: search.SortOrder{&search.SortScore{Desc: true}, &search.SortDocID{}},
			kinds: []sortKind{kindScore, kindID},
		}, nil
	case distrisearch.SortModified:
		return field(fieldModified, search.SortFieldAsDate, kindDate), nil
	case distrisearch.SortSize:
		return field(fieldSize, search.SortFieldAsNumber, kindNumber), nil
	case distrisearch.SortName:
		return field(fieldNameSort, search.SortFieldAsString, kindString), nil
	}
	return order{}, &distrisearch.Error{
		Kind: distrisearch.KindInvalid, Code: "bad_sort", Op: "index.Search",
		Message: fmt.Sprintf("unknown sort %q; use relevance, modified, size or name", sort),
	}
}

// after returns the SearchAfter values of a hit in this order.
func (o order) after(score float64, id string, decoded []string) []string {
	out := make([]string, len(o.kinds))
	for i, k := range o.kinds {
		switch {
		case k == kindScore:
			out[i] = strconv.FormatFloat(score, 'g', -1, 64)
		case k == kindID:
			out[i] = id
		case i < len(decoded):
			out[i] = decoded[i]
		}
	}
	return out
}
