package extract

import (
	"errors"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// extractHTML extracts the title and the visible text of an HTML page.
func extractHTML(j *job, r io.ReaderAt, size int64, res *Result) error {
	return htmlText(j, io.NewSectionReader(r, 0, size), "", res)
}

// htmlSkip are elements whose content is not visible text.
var htmlSkip = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true, "svg": true,
	"math": true, "iframe": true, "object": true, "select": true,
	"noembed": true, "noframes": true, "canvas": true, "audio": true, "video": true,
}

// htmlBlock are elements that start a new line.
var htmlBlock = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "dl": true, "dt": true,
	"dd": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"tr": true, "table": true, "thead": true, "tbody": true, "tfoot": true, "caption": true,
	"section": true, "article": true, "aside": true, "header": true, "footer": true, "nav": true,
	"main": true, "blockquote": true, "pre": true, "hr": true, "figure": true, "figcaption": true,
	"address": true, "form": true, "fieldset": true, "legend": true, "details": true, "summary": true,
	"body": true, "title": true,
}

// htmlText writes the visible text of the HTML document read from r to
// j.out. It sets res.Title (from <title>, else the first <h1>) when it is
// empty, and author, description and keywords from <meta>. contentType may
// name the charset; otherwise it is sniffed.
func htmlText(j *job, r io.Reader, contentType string, res *Result) error {
	cr, err := charset.NewReader(r, contentType)
	if err != nil {
		return corruptf(j.typ, "html charset: %v", err)
	}
	z := html.NewTokenizer(cr)
	var (
		skip    int    // depth inside elements whose text is not shown
		pre     int    // depth inside <pre>
		inTitle bool   // inside <title>
		inH1    bool   // inside the first <h1>
		cell    int    // open table cells
		cells   int    // cells started in the current row
		title   string // from <title>
		h1      string // from the first <h1>
	)
	out := j.out
	for !out.full() {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				if res.Title == "" {
					res.Title = strings.TrimSpace(title)
					if res.Title == "" {
						res.Title = strings.TrimSpace(h1)
					}
				}
				return nil
			}
			return z.Err()
		case html.TextToken:
			text := string(z.Text())
			switch {
			case inTitle:
				title += text
			case skip > 0:
			case pre > 0:
				out.write(text)
			default:
				writeCollapsed(out, text)
				if inH1 {
					h1 += text
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch {
			case tag == "meta" && hasAttr:
				htmlMeta(z, res)
			case tag == "title" && tt == html.StartTagToken:
				inTitle = true
			case tag == "h1" && h1 == "" && tt == html.StartTagToken:
				inH1 = true
			case tag == "pre" && tt == html.StartTagToken:
				pre++
			case htmlSkip[tag] && tt == html.StartTagToken:
				skip++
			}
			switch {
			case tag == "tr":
				cells = 0
				out.newline()
			case tag == "td" || tag == "th":
				if tt == html.StartTagToken {
					cell++
				}
				if cells > 0 {
					out.write("\t")
				}
				cells++
			case htmlBlock[tag] && cell > 0:
				out.space() // blocks inside a cell stay on the row's line
			case htmlBlock[tag]:
				out.newline()
			case tag == "img" || tag == "input" || tag == "button" || tag == "label" || tag == "option":
				out.space()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch {
			case tag == "title":
				inTitle = false
			case tag == "h1":
				inH1 = false
			case tag == "pre" && pre > 0:
				pre--
			case htmlSkip[tag] && skip > 0:
				skip--
			}
			switch {
			case tag == "td" || tag == "th":
				cell = max(cell-1, 0)
			case htmlBlock[tag] && cell > 0:
				out.space()
			case htmlBlock[tag]:
				out.newline()
			case tag == "a" || tag == "span":
				out.space()
			}
		}
	}
	return nil
}

// writeCollapsed writes text with runs of white space collapsed to one space.
func writeCollapsed(out *sink, text string) {
	f := strings.Fields(text)
	if len(f) == 0 {
		if text != "" {
			out.space()
		}
		return
	}
	if startsSpace(text) {
		out.space()
	}
	out.write(strings.Join(f, " "))
	if c := text[len(text)-1]; c == ' ' || c == '\n' || c == '\t' || c == '\r' {
		out.space()
	}
}

// htmlMeta records <meta name="author|description|keywords" content="...">.
func htmlMeta(z *html.Tokenizer, res *Result) {
	var name, content string
	for {
		k, v, more := z.TagAttr()
		switch strings.ToLower(string(k)) {
		case "name", "property":
			name = strings.ToLower(string(v))
		case "content":
			content = string(v)
		}
		if !more {
			break
		}
	}
	switch name {
	case "author", "description", "keywords":
		setMeta(res, name, content)
	case "og:title", "dc.title":
		setMeta(res, "title", content)
	}
}
