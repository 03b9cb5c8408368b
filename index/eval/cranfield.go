// Package eval holds what measuring search quality needs: a parser for the
// Cranfield collection (documents, queries, relevance judgements) and the
// ranking metrics nDCG@k and average precision. It is pure: it reads from
// an io.Reader and computes; it never opens files or searches.
//
// The Cranfield relevance file numbers queries 1..225 by their POSITION in
// cran.qry, not by the .I numbers written there (which skip values), so
// Queries carry both. Grades follow Cleverdon's scale: 1 is a complete
// answer, 4 of minimum interest, -1 (and 5) of no interest; Gain maps them
// to 4, 3, 2, 1 and 0.
package eval

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Doc is one Cranfield document.
type Doc struct {
	ID     string // the .I number, e.g. "184"
	Title  string // .T
	Author string // .A
	Biblio string // .B
	Text   string // .W (it repeats the title)
}

// Query is one Cranfield query.
type Query struct {
	Num  int    // position in the file, 1-based: the number the judgements use
	ID   string // the .I number as written
	Text string
}

// Qrels maps a query number (Query.Num) to document ids and grades.
type Qrels map[int]map[string]int

// ParseDocs reads cran.all.1400.
func ParseDocs(r io.Reader) ([]Doc, error) {
	var docs []Doc
	err := parseFields(r, func(id string, fields map[string]string) {
		docs = append(docs, Doc{
			ID: id, Title: fields["T"], Author: fields["A"], Biblio: fields["B"], Text: fields["W"],
		})
	})
	if err != nil {
		return nil, fmt.Errorf("eval: parse docs: %w", err)
	}
	return docs, nil
}

// ParseQueries reads cran.qry.
func ParseQueries(r io.Reader) ([]Query, error) {
	var qs []Query
	err := parseFields(r, func(id string, fields map[string]string) {
		qs = append(qs, Query{Num: len(qs) + 1, ID: id, Text: fields["W"]})
	})
	if err != nil {
		return nil, fmt.Errorf("eval: parse queries: %w", err)
	}
	return qs, nil
}

// parseFields reads records that start with ".I id" and hold fields that
// start with ".X" lines.
func parseFields(r io.Reader, emit func(id string, fields map[string]string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id, field string
	fields := map[string]*strings.Builder{}
	flush := func() {
		if id == "" {
			return
		}
		out := make(map[string]string, len(fields))
		for k, b := range fields {
			out[k] = strings.TrimSpace(b.String())
		}
		emit(id, out)
	}
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		switch {
		case strings.HasPrefix(s, ".I"):
			flush()
			id = strings.TrimSpace(strings.TrimPrefix(s, ".I"))
			if id == "" {
				return fmt.Errorf("line %d: .I without a number", line)
			}
			fields = map[string]*strings.Builder{}
			field = ""
		case len(s) == 2 && s[0] == '.' && s[1] >= 'A' && s[1] <= 'Z':
			if id == "" {
				return fmt.Errorf("line %d: field before the first .I", line)
			}
			field = s[1:]
			if fields[field] == nil {
				fields[field] = &strings.Builder{}
			}
		default:
			if field == "" {
				if strings.TrimSpace(s) == "" {
					continue
				}
				return fmt.Errorf("line %d: text outside a field", line)
			}
			fields[field].WriteString(s)
			fields[field].WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	flush()
	return nil
}

// ParseQrels reads cranqrel: lines of "query doc grade".
func ParseQrels(r io.Reader) (Qrels, error) {
	q := Qrels{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("eval: qrels line %d: want 3 fields, got %d", line, len(f))
		}
		num, err1 := strconv.Atoi(f[0])
		grade, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("eval: qrels line %d: bad number", line)
		}
		if q[num] == nil {
			q[num] = map[string]int{}
		}
		q[num][f[1]] = grade
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: qrels: %w", err)
	}
	return q, nil
}

// Gain maps a Cranfield grade to a graded gain: 1 → 4 (complete answer)
// ... 4 → 1 (minimum interest); anything else (-1, 5) → 0.
func Gain(grade int) int {
	if grade >= 1 && grade <= 4 {
		return 5 - grade
	}
	return 0
}

// Gains returns the gains of one query's judgements.
func (q Qrels) Gains(num int) map[string]int {
	out := map[string]int{}
	for doc, g := range q[num] {
		if v := Gain(g); v > 0 {
			out[doc] = v
		}
	}
	return out
}
