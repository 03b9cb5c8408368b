package extract

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// extractODF extracts the text of OpenDocument text, spreadsheet and
// presentation files from content.xml, keeping headings, tables (a row per
// line, cells separated by tabs, each sheet preceded by its name), notes and
// annotations, and leaving out deleted tracked changes.
func extractODF(j *job, r io.ReaderAt, size int64, res *Result) error {
	z, err := openZip(j, r, size)
	if err != nil {
		return err
	}
	if err := odfMeta(z, res); err != nil {
		return err
	}
	if !z.has("content.xml") {
		return corruptf(j.typ, "missing content.xml")
	}
	var (
		skip     int // depth of the element whose subtree is skipped, 0 = none
		heading  strings.Builder
		inHead   bool
		firstH   string
		cell     int  // open table cells
		cellText bool // the current table cell has text
		rowCells int  // cells with text in the current row
		pages    int
	)
	out := j.out
	err = z.walk("content.xml", func(tok xml.Token, depth int) error {
		if skip > 0 {
			if _, ok := tok.(xml.EndElement); ok && depth == skip {
				skip = 0
			}
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "tracked-changes", "font-face-decls", "automatic-styles", "scripts",
				"sequence-decls", "variable-decls", "user-field-decls", "forms":
				skip = depth
			case "h":
				out.paragraph()
				inHead = firstH == ""
				heading.Reset()
			case "p", "list-item":
				if cell > 0 {
					out.space()
				} else {
					out.newline()
				}
			case "s":
				n, _ := strconv.Atoi(attr(t, "c"))
				out.write(strings.Repeat(" ", min(max(n, 1), 64)))
			case "tab":
				out.write("\t")
			case "line-break":
				out.newline()
			case "table":
				out.paragraph()
				if j.typ == "ods" {
					if name := attr(t, "name"); name != "" {
						out.write(name)
						out.newline()
					}
				}
			case "table-row":
				rowCells = 0
			case "table-cell", "covered-table-cell":
				cell++
				cellText = false
			case "page":
				pages++
				out.paragraph()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "h":
				out.newline()
				if inHead {
					firstH = strings.TrimSpace(heading.String())
					inHead = false
				}
			case "p":
				if cell > 0 {
					out.space()
				} else {
					out.newline()
				}
			case "table-cell", "covered-table-cell":
				cell = max(cell-1, 0)
			case "table-row":
				if rowCells > 0 {
					out.newline()
				}
			case "table":
				out.paragraph()
			}
		case xml.CharData:
			s := string(t)
			if strings.TrimSpace(s) == "" && !strings.Contains(s, " ") {
				return nil // indentation between elements
			}
			if cell > 0 && !cellText {
				if rowCells > 0 {
					out.write("\t")
				}
				rowCells++
				cellText = true
			}
			out.write(s)
			if inHead && heading.Len() < maxMetaValue {
				heading.WriteString(s)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if res.Title == "" {
		res.Title = firstH
	}
	if j.typ == "odp" && pages > 0 {
		setMeta(res, "slides", strconv.Itoa(pages))
	}
	return nil
}

// odfMeta reads the title and metadata from meta.xml, when present.
func odfMeta(z *zipDoc, res *Result) error {
	if !z.has("meta.xml") {
		return nil
	}
	fields := map[string]string{
		"title": "title", "creator": "author", "initial-creator": "author", "subject": "subject",
		"description": "description", "keyword": "keywords", "date": "modified",
		"creation-date": "created",
	}
	key := ""
	err := z.walk("meta.xml", func(tok xml.Token, _ int) error {
		switch t := tok.(type) {
		case xml.StartElement:
			key = fields[t.Name.Local]
			if t.Name.Local == "document-statistic" {
				setMeta(res, "pages", attr(t, "page-count"))
				setMeta(res, "words", attr(t, "word-count"))
			}
		case xml.EndElement:
			key = ""
		case xml.CharData:
			switch key {
			case "":
			case "title":
				if res.Title == "" {
					res.Title = strings.TrimSpace(string(t))
				}
			default:
				setMeta(res, key, string(t))
			}
		}
		return nil
	})
	if f, ok := asFailure(err); ok && f.kind == ErrLimit {
		return err
	}
	return nil // broken metadata does not hide the text
}
