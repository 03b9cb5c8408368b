package query

import (
	"fmt"

	"github.com/distrisearch/distrisearch"
)

// CodeBadQuery is the error code of every parse error.
const CodeBadQuery = "bad_query"

// SyntaxError is a problem at one position of the query text.
type SyntaxError struct {
	Pos int    // 1-based position in characters (runes); 0 = the whole query
	Msg string // what is wrong, in words a person understands
}

func (e *SyntaxError) Error() string {
	if e.Pos == 0 {
		return e.Msg
	}
	return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg)
}

func syntaxErr(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// badQuery wraps a syntax error in the API error type.
func badQuery(se *SyntaxError) error {
	return &distrisearch.Error{
		Kind:    distrisearch.KindInvalid,
		Code:    CodeBadQuery,
		Message: "bad query: " + se.Error(),
		Op:      "query.Parse",
		Err:     se,
	}
}
