package extract

import (
	"encoding/xml"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// extractEPUB extracts the text of an EPUB book: the content documents in
// the order of the package's spine, each read as HTML. The title and
// metadata come from the package (OPF) document.
func extractEPUB(j *job, r io.ReaderAt, size int64, res *Result) error {
	z, err := openZip(j, r, size)
	if err != nil {
		return err
	}
	opf, err := epubRootfile(z)
	if err != nil {
		return err
	}
	items, spine, err := epubPackage(z, opf, res)
	if err != nil {
		return err
	}
	if len(spine) == 0 {
		return corruptf("epub", "empty spine in %s", opf)
	}
	setMeta(res, "chapters", strconv.Itoa(len(spine)))
	dir := path.Dir(opf)
	seen := make(map[string]bool)
	for _, idref := range spine {
		if j.out.full() {
			break
		}
		if err := j.alive(); err != nil {
			return err
		}
		it, ok := items[idref]
		if !ok || seen[it.href] || !strings.Contains(it.mediaType, "html") {
			continue
		}
		seen[it.href] = true
		href, err := url.PathUnescape(it.href)
		if err != nil {
			href = it.href
		}
		name := strings.TrimPrefix(path.Join(dir, href), "/")
		if !z.has(name) {
			continue // a missing chapter does not hide the others
		}
		rc, err := z.open(name)
		if err != nil {
			return err
		}
		err = htmlText(j, rc, "", res)
		rc.Close()
		if err != nil {
			if _, ok := asFailure(err); ok {
				return err
			}
			return corruptf("epub", "%s: %v", name, err)
		}
		j.out.paragraph()
	}
	return nil
}

// epubRootfile finds the package document named by META-INF/container.xml.
func epubRootfile(z *zipDoc) (string, error) {
	const container = "META-INF/container.xml"
	if !z.has(container) {
		return "", corruptf("epub", "missing %s", container)
	}
	opf := ""
	err := z.walk(container, func(tok xml.Token, _ int) error {
		if t, ok := tok.(xml.StartElement); ok && t.Name.Local == "rootfile" && opf == "" {
			opf = strings.TrimPrefix(attr(t, "full-path"), "/")
			return errStop
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if opf == "" || !z.has(opf) {
		return "", corruptf("epub", "missing package document %q", opf)
	}
	return opf, nil
}

type epubItem struct{ href, mediaType string }

// epubPackage reads the manifest, the spine and the metadata of the package
// document.
func epubPackage(z *zipDoc, opf string, res *Result) (map[string]epubItem, []string, error) {
	items := make(map[string]epubItem)
	var spine []string
	inMeta, key := false, ""
	fields := map[string]string{
		"title": "title", "creator": "author", "language": "language", "publisher": "publisher",
		"date": "date", "subject": "subject", "description": "description",
	}
	err := z.walk(opf, func(tok xml.Token, _ int) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "metadata":
				inMeta = true
			case "item":
				if len(items) < z.j.lim.MaxEntries {
					items[attr(t, "id")] = epubItem{href: attr(t, "href"), mediaType: attr(t, "media-type")}
				}
			case "itemref":
				if len(spine) < z.j.lim.MaxEntries {
					spine = append(spine, attr(t, "idref"))
				}
			}
			if inMeta {
				key = fields[t.Name.Local]
			}
		case xml.EndElement:
			key = ""
			if t.Name.Local == "metadata" {
				inMeta = false
			}
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
	return items, spine, err
}
