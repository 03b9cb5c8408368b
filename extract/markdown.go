package extract

import (
	"io"
	"regexp"
	"strings"
)

// extractMarkdown strips Markdown markup lightly: heading marks, emphasis,
// link targets, code fences, table rules. The first heading (or a front
// matter title) is the title.
func extractMarkdown(j *job, r io.ReaderAt, size int64, res *Result) error {
	text, err := readText(j, r, size, res)
	if err != nil {
		return err
	}
	title, body := stripMarkdown(text)
	res.Title = title
	j.out.write(body)
	return nil
}

var (
	mdATX       = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	mdSetext    = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	mdFence     = regexp.MustCompile("^ {0,3}(```|~~~)")
	mdList      = regexp.MustCompile(`^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?`)
	mdQuote     = regexp.MustCompile(`^(?:[ \t]*>[ \t]?)+`)
	mdTableRule = regexp.MustCompile(`^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$`)
	mdRule      = regexp.MustCompile(`^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	mdRefDef    = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:[ \t]*\S+.*$`)
	mdImage     = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink      = regexp.MustCompile(`\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])`)
	mdAutolink  = regexp.MustCompile(`<((?:https?|ftp|mailto):[^>\s]+)>`)
	mdTag       = regexp.MustCompile(`</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>`)
	mdStrong    = regexp.MustCompile(`\*{1,3}|~~|` + "`+")
	mdUnder     = regexp.MustCompile(`(^|[^\p{L}\p{N}_])_{1,3}|_{1,3}([^\p{L}\p{N}_]|$)`)
)

// stripMarkdown returns the title and the text of a Markdown document.
func stripMarkdown(src string) (title, text string) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	lines := strings.Split(src, "\n")
	var out []string
	i := 0
	// YAML front matter: keep the title, drop the rest.
	if len(lines) > 0 && strings.TrimSpace(lines[0]) == "---" {
		for k := 1; k < len(lines); k++ {
			l := strings.TrimSpace(lines[k])
			if l == "---" || l == "..." {
				i = k + 1
				break
			}
			if v, ok := strings.CutPrefix(l, "title:"); ok && title == "" {
				title = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
		if i == 0 {
			title = "" // no closing marker: not front matter
		}
	}
	inFence := ""
	for ; i < len(lines); i++ {
		l := lines[i]
		if m := mdFence.FindStringSubmatch(l); m != nil {
			switch {
			case inFence == "":
				inFence = m[1]
				continue
			case inFence == m[1]:
				inFence = ""
				continue
			}
		}
		if inFence != "" {
			out = append(out, l) // code is kept as is
			continue
		}
		if m := mdATX.FindStringSubmatch(l); m != nil {
			h := inlineMarkdown(m[2])
			if title == "" {
				title = h
			}
			out = append(out, h)
			continue
		}
		if mdSetext.MatchString(l) && len(out) > 0 && strings.TrimSpace(out[len(out)-1]) != "" &&
			i > 0 && strings.TrimSpace(lines[i-1]) != "" && !mdList.MatchString(lines[i-1]) {
			if title == "" {
				title = strings.TrimSpace(out[len(out)-1])
			}
			continue
		}
		if mdRule.MatchString(l) || mdTableRule.MatchString(l) || mdRefDef.MatchString(l) {
			continue
		}
		l = mdQuote.ReplaceAllString(l, "")
		l = mdList.ReplaceAllString(l, "$1")
		if strings.Contains(l, "|") && strings.Count(l, "|") >= 2 {
			cells := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
			for k := range cells {
				cells[k] = strings.TrimSpace(cells[k])
			}
			l = strings.Join(cells, "\t")
		}
		out = append(out, inlineMarkdown(l))
	}
	return strings.TrimSpace(title), strings.Join(out, "\n")
}

// inlineMarkdown strips inline markup from one line.
func inlineMarkdown(l string) string {
	if !strings.ContainsAny(l, "[]<>*_~`!") {
		return l
	}
	l = mdImage.ReplaceAllString(l, "$1")
	l = mdLink.ReplaceAllString(l, "$1")
	l = mdAutolink.ReplaceAllString(l, "$1")
	l = mdTag.ReplaceAllString(l, "")
	l = mdStrong.ReplaceAllString(l, "")
	l = mdUnder.ReplaceAllString(l, "$1$2")
	return l
}
