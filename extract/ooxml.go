package extract

import (
	"encoding/xml"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// extractDOCX extracts the paragraphs, tables, footnotes and endnotes of a
// Word document.
func extractDOCX(j *job, r io.ReaderAt, size int64, res *Result) error {
	z, err := openZip(j, r, size)
	if err != nil {
		return err
	}
	if err := ooxmlProps(z, res); err != nil {
		return err
	}
	main := "word/document.xml"
	if !z.has(main) {
		return corruptf("docx", "missing %s", main)
	}
	var title strings.Builder
	for _, name := range []string{main, "word/footnotes.xml", "word/endnotes.xml"} {
		if name != main && !z.has(name) {
			continue
		}
		inText, titlePara, paras := false, false, 0
		cell, cells := 0, 0 // open table cells; cells started in the current row
		err := z.walk(name, func(tok xml.Token, _ int) error {
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "t":
					inText = true
				case "tab", "ptab":
					j.out.write("\t")
				case "br", "cr":
					j.out.newline()
				case "p":
					paras++
				case "tr":
					cells = 0
				case "tc":
					if cells > 0 {
						j.out.write("\t")
					}
					cell++
					cells++
				case "pStyle":
					style := strings.ToLower(attr(t, "val"))
					titlePara = name == main && res.Title == "" && title.Len() == 0 && paras <= 3 &&
						(style == "title" || style == "heading1")
				}
			case xml.EndElement:
				switch t.Name.Local {
				case "t":
					inText = false
				case "p":
					if cell > 0 {
						j.out.space() // paragraphs inside a cell stay on the row's line
					} else {
						j.out.newline()
					}
					if titlePara {
						res.Title = strings.TrimSpace(title.String())
						titlePara = false
					}
				case "tc":
					cell = max(cell-1, 0)
				case "tr":
					j.out.newline()
				}
			case xml.CharData:
				if inText {
					j.out.write(string(t))
					if titlePara && title.Len() < maxMetaValue {
						title.Write(t)
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		j.out.paragraph()
	}
	return nil
}

// extractXLSX extracts the cells of every worksheet, sheet by sheet in
// workbook order, each preceded by its name. Shared strings are resolved.
func extractXLSX(j *job, r io.ReaderAt, size int64, res *Result) error {
	z, err := openZip(j, r, size)
	if err != nil {
		return err
	}
	if err := ooxmlProps(z, res); err != nil {
		return err
	}
	shared, err := xlsxSharedStrings(z)
	if err != nil {
		return err
	}
	sheets, err := xlsxSheets(z)
	if err != nil {
		return err
	}
	if len(sheets) == 0 {
		return corruptf("xlsx", "no worksheets")
	}
	setMeta(res, "sheets", strconv.Itoa(len(sheets)))
	for _, sh := range sheets {
		if j.out.full() {
			break
		}
		if sh.name != "" {
			j.out.write(sh.name)
			j.out.newline()
		}
		if err := xlsxSheet(z, sh.path, shared); err != nil {
			return err
		}
		j.out.paragraph()
	}
	return nil
}

type xlsxSheetRef struct{ name, path string }

// xlsxSheets lists the worksheets in workbook order with the paths of their
// parts; without a usable workbook it falls back to the worksheet parts in
// numeric order.
func xlsxSheets(z *zipDoc) ([]xlsxSheetRef, error) {
	rels, err := ooxmlRels(z, "xl/_rels/workbook.xml.rels", "xl")
	if err != nil {
		return nil, err
	}
	var sheets []xlsxSheetRef
	if z.has("xl/workbook.xml") {
		err := z.walk("xl/workbook.xml", func(tok xml.Token, _ int) error {
			if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "sheet" {
				id := ""
				for _, a := range t.Attr {
					if a.Name.Local == "id" && a.Name.Space != "" {
						id = a.Value
					}
				}
				if p, ok := rels[id]; ok && z.has(p) {
					sheets = append(sheets, xlsxSheetRef{name: attr(t, "name"), path: p})
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(sheets) == 0 {
		for _, p := range numbered(z, xlsxSheetPart) {
			sheets = append(sheets, xlsxSheetRef{path: p})
		}
	}
	return sheets, nil
}

var (
	xlsxSheetPart  = regexp.MustCompile(`^xl/worksheets/sheet(\d+)\.xml$`)
	pptxSlidePart  = regexp.MustCompile(`^ppt/slides/slide(\d+)\.xml$`)
	ooxmlNotesType = "/notesSlide"
)

// xlsxMaxShared bounds the shared strings kept.
const xlsxMaxShared = 4 << 20

// xlsxSharedStrings reads the shared string table: the text of each <si>,
// without phonetic runs.
func xlsxSharedStrings(z *zipDoc) ([]string, error) {
	const part = "xl/sharedStrings.xml"
	if !z.has(part) {
		return nil, nil
	}
	var (
		out      []string
		cur      strings.Builder
		inT, rPh bool
	)
	err := z.walk(part, func(tok xml.Token, _ int) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				cur.Reset()
			case "t":
				inT = true
			case "rPh":
				rPh = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				// Beyond the cap, cells that refer to a string stay empty:
				// tiny <si/> elements must not cost memory out of
				// proportion to the decompressed bytes.
				if len(out) < xlsxMaxShared {
					out = append(out, cur.String())
				}
			case "t":
				inT = false
			case "rPh":
				rPh = false
			}
		case xml.CharData:
			if inT && !rPh {
				cur.Write(t)
			}
		}
		return nil
	})
	return out, err
}

// xlsxSheet writes the cells of one worksheet, a row per line, cells
// separated by tabs.
func xlsxSheet(z *zipDoc, part string, shared []string) error {
	var (
		typ       string
		val       strings.Builder
		inV, inIs bool
		cells     int
	)
	return z.walk(part, func(tok xml.Token, _ int) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "c":
				typ = attr(t, "t")
				val.Reset()
			case "v":
				inV = true
			case "is":
				inIs = true
			case "row":
				cells = 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "is":
				inIs = false
			case "c":
				text := xlsxCell(typ, strings.TrimSpace(val.String()), shared)
				if text != "" {
					if cells > 0 {
						z.j.out.write("\t")
					}
					z.j.out.write(text)
					cells++
				}
			case "row":
				if cells > 0 {
					z.j.out.newline()
				}
			}
		case xml.CharData:
			if inV || inIs {
				val.Write(t)
			}
		}
		return nil
	})
}

// xlsxCell turns a cell's raw value into text according to its type.
func xlsxCell(typ, v string, shared []string) string {
	switch typ {
	case "s":
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || i >= len(shared) {
			return ""
		}
		return shared[i]
	case "b":
		if v == "1" {
			return "TRUE"
		}
		return "FALSE"
	}
	return v
}

// extractPPTX extracts the text of the slides in numeric order (slide10
// after slide9), each followed by its speaker notes.
func extractPPTX(j *job, r io.ReaderAt, size int64, res *Result) error {
	z, err := openZip(j, r, size)
	if err != nil {
		return err
	}
	if err := ooxmlProps(z, res); err != nil {
		return err
	}
	slides := numbered(z, pptxSlidePart)
	if len(slides) == 0 {
		return corruptf("pptx", "no slides")
	}
	setMeta(res, "slides", strconv.Itoa(len(slides)))
	for _, slide := range slides {
		if j.out.full() {
			break
		}
		if err := pptxText(z, slide); err != nil {
			return err
		}
		j.out.paragraph()
		dir, file := path.Split(slide)
		rels, err := ooxmlRelsTyped(z, dir+"_rels/"+file+".rels", strings.TrimSuffix(dir, "/"))
		if err != nil {
			return err
		}
		for _, rel := range rels {
			if strings.HasSuffix(rel.typ, ooxmlNotesType) && z.has(rel.target) {
				if err := pptxText(z, rel.target); err != nil {
					return err
				}
				j.out.paragraph()
			}
		}
	}
	return nil
}

// pptxText writes the DrawingML text of one slide or notes part.
func pptxText(z *zipDoc, part string) error {
	inT := false
	return z.walk(part, func(tok xml.Token, _ int) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inT = true
			case "br":
				z.j.out.newline()
			case "tab":
				z.j.out.write("\t")
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inT = false
			case "p":
				z.j.out.newline()
			case "tc":
				z.j.out.write("\t")
			}
		case xml.CharData:
			if inT {
				z.j.out.write(string(t))
			}
		}
		return nil
	})
}

// numbered returns the entries matching re (whose first group is a number)
// sorted by that number.
func numbered(z *zipDoc, re *regexp.Regexp) []string {
	type part struct {
		n    int
		name string
	}
	var parts []part
	for name := range z.files {
		if m := re.FindStringSubmatch(name); m != nil {
			n, err := strconv.Atoi(m[1])
			if err == nil {
				parts = append(parts, part{n, name})
			}
		}
	}
	sort.Slice(parts, func(a, b int) bool {
		if parts[a].n != parts[b].n {
			return parts[a].n < parts[b].n
		}
		return parts[a].name < parts[b].name
	})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.name
	}
	return out
}

type ooxmlRel struct{ id, typ, target string }

// ooxmlRelsTyped reads a relationships part; targets are resolved against
// dir (the folder of the part the relationships belong to). A missing part
// has no relationships.
func ooxmlRelsTyped(z *zipDoc, part, dir string) ([]ooxmlRel, error) {
	if !z.has(part) {
		return nil, nil
	}
	var rels []ooxmlRel
	err := z.walk(part, func(tok xml.Token, _ int) error {
		if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "Relationship" {
			if attr(t, "TargetMode") == "External" {
				return nil
			}
			target := attr(t, "Target")
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join(dir, target)
			}
			rels = append(rels, ooxmlRel{id: attr(t, "Id"), typ: attr(t, "Type"), target: target})
		}
		return nil
	})
	return rels, err
}

// ooxmlRels maps relationship ids to resolved targets.
func ooxmlRels(z *zipDoc, part, dir string) (map[string]string, error) {
	rels, err := ooxmlRelsTyped(z, part, dir)
	m := make(map[string]string, len(rels))
	for _, r := range rels {
		m[r.id] = r.target
	}
	return m, err
}

// ooxmlProps reads the title and metadata from docProps/core.xml and
// docProps/app.xml, when present.
func ooxmlProps(z *zipDoc, res *Result) error {
	fields := map[string]string{
		"title": "title", "creator": "author", "subject": "subject", "description": "description",
		"keywords": "keywords", "lastModifiedBy": "modified_by", "created": "created",
		"modified": "modified", "Pages": "pages", "Words": "words", "Company": "company",
	}
	for _, part := range []string{"docProps/core.xml", "docProps/app.xml"} {
		if !z.has(part) {
			continue
		}
		key := ""
		err := z.walk(part, func(tok xml.Token, depth int) error {
			switch t := tok.(type) {
			case xml.StartElement:
				key = ""
				if depth == 2 {
					key = fields[t.Name.Local]
				}
			case xml.EndElement:
				key = ""
			case xml.CharData:
				if key == "title" && res.Title == "" {
					res.Title = strings.TrimSpace(string(t))
				} else if key != "" && key != "title" {
					setMeta(res, key, string(t))
				}
			}
			return nil
		})
		if f, ok := asFailure(err); ok && f.kind == ErrLimit {
			return err
		}
		// Broken properties do not hide the document's text.
	}
	return nil
}
