package extract

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// extractEmail reads an RFC 5322 message (.eml): From, To, Cc, Subject and
// Date go to Meta and the top of the text, the subject is the title; of
// each multipart/alternative the text/plain part is preferred, HTML is
// stripped; transfer encodings and charsets are decoded; attachment names
// are listed. MIME nesting is bounded by MaxDepth and the number of parts by
// MaxEntries.
func extractEmail(j *job, r io.ReaderAt, size int64, res *Result) error {
	msg, err := mail.ReadMessage(bufio.NewReader(io.NewSectionReader(r, 0, size)))
	if err != nil {
		if j.alive() != nil {
			return j.alive()
		}
		return corruptf("email", "%v", err)
	}
	w := &mailWalker{j: j, dec: &mime.WordDecoder{CharsetReader: charsetReader}}
	w.headers(msg.Header, res)
	err = w.part(textproto.MIMEHeader(msg.Header), msg.Body, 1)
	if len(w.attachments) > 0 {
		setMeta(res, "attachments", strings.Join(w.attachments, ", "))
		j.out.paragraph()
		j.out.write("Attachments: " + strings.Join(w.attachments, ", "))
	}
	if err != nil {
		if _, ok := asFailure(err); ok || j.alive() != nil {
			return err
		}
		return corruptf("email", "%v", err)
	}
	return nil
}

func charsetReader(label string, in io.Reader) (io.Reader, error) {
	enc := lookupCharset(label)
	if enc == nil {
		return nil, fmt.Errorf("unknown charset %q", label)
	}
	return enc.NewDecoder().Reader(in), nil
}

type mailWalker struct {
	j           *job
	dec         *mime.WordDecoder
	parts       int
	attachments []string
}

// headers writes the main headers of a message to the text and, for the
// outermost message (res not nil), to Meta and the title.
func (w *mailWalker) headers(h mail.Header, res *Result) {
	out := w.j.out
	for _, key := range []string{"From", "To", "Cc", "Subject", "Date"} {
		raw := h.Get(key)
		if raw == "" {
			continue
		}
		var v string
		switch key {
		case "From", "To", "Cc":
			v = w.addresses(raw)
		case "Date":
			v = strings.TrimSpace(raw)
			if t, err := mail.ParseDate(raw); err == nil {
				v = t.UTC().Format(time.RFC3339)
			}
		default:
			v = w.decodeHeader(raw)
		}
		out.write(key + ": " + v)
		out.newline()
		if res == nil {
			continue
		}
		if key == "Subject" {
			res.Title = v
		} else {
			setMeta(res, strings.ToLower(key), v)
		}
	}
	out.paragraph()
}

func (w *mailWalker) decodeHeader(v string) string {
	d, err := w.dec.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// addresses formats an address list as "Name <addr>, ...".
func (w *mailWalker) addresses(v string) string {
	list, err := (&mail.AddressParser{WordDecoder: w.dec}).ParseList(v)
	if err != nil {
		return w.decodeHeader(v)
	}
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.Address
		if a.Name != "" {
			s[i] = a.Name + " <" + a.Address + ">"
		}
	}
	return strings.Join(s, ", ")
}

// part extracts one MIME entity.
func (w *mailWalker) part(h textproto.MIMEHeader, body io.Reader, depth int) error {
	if depth > w.j.lim.MaxDepth {
		return limitf("too deeply nested: MIME parts deeper than %d levels", w.j.lim.MaxDepth)
	}
	if w.parts++; w.parts > w.j.lim.MaxEntries {
		return limitf("too many MIME parts: more than %d", w.j.lim.MaxEntries)
	}
	if err := w.j.alive(); err != nil {
		return err
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ct, params = "text/plain", nil
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = w.decodeHeader(name)
	body = transferDecoder(h.Get("Content-Transfer-Encoding"), body)

	switch {
	case strings.HasPrefix(ct, "multipart/"):
		return w.multipart(ct, params["boundary"], body, depth)
	case ct == "message/rfc822" && disp != "attachment":
		msg, err := mail.ReadMessage(bufio.NewReader(body))
		if err != nil {
			return nil // a broken forwarded message hides nothing else
		}
		w.j.out.paragraph()
		w.headers(msg.Header, nil)
		return w.part(textproto.MIMEHeader(msg.Header), msg.Body, depth+1)
	case disp == "attachment" || name != "" && !(disp == "inline" && strings.HasPrefix(ct, "text/")):
		if name == "" {
			name = "(unnamed " + ct + ")"
		}
		if len(w.attachments) < 256 {
			w.attachments = append(w.attachments, name)
		}
		return nil
	case ct == "text/plain" || ct == "text/html" || ct == "text/enriched" || ct == "":
		b, err := io.ReadAll(io.LimitReader(body, 4*int64(w.j.lim.MaxTextBytes)))
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		if ct == "text/html" {
			return htmlText(w.j, bytes.NewReader(b), h.Get("Content-Type"), &Result{})
		}
		var text string
		if cs := params["charset"]; cs != "" {
			text = decodeCharset(b, cs)
		} else {
			text, _ = decodeText(b, false)
		}
		w.j.out.write(text)
		w.j.out.paragraph()
	}
	return nil
}

// multipart extracts the parts of a multipart entity. Of an alternative,
// the text/plain version is kept if it has text, else the first that has.
func (w *mailWalker) multipart(ct, boundary string, body io.Reader, depth int) error {
	if boundary == "" {
		return errors.New("multipart without boundary")
	}
	mr := multipart.NewReader(body, boundary)
	alt := ct == "multipart/alternative"
	var texts []string
	plain := -1
	outer := w.j.out
	defer func() { w.j.out = outer }()
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(texts) > 0 || !alt {
				break // keep what was read of a truncated message
			}
			return err
		}
		if alt {
			w.j.out = &sink{max: w.j.lim.MaxTextBytes}
		}
		err = w.part(p.Header, p, depth+1)
		if alt {
			if t := w.j.out.String(); t != "" {
				if ct := p.Header.Get("Content-Type"); plain < 0 && (ct == "" || strings.HasPrefix(ct, "text/plain")) {
					plain = len(texts)
				}
				texts = append(texts, t)
			}
			w.j.out = outer
		}
		if err != nil {
			return err
		}
		if outer.full() {
			break
		}
	}
	if alt && len(texts) > 0 {
		if plain < 0 {
			plain = 0
		}
		outer.write(texts[plain])
		outer.paragraph()
	}
	return nil
}

// transferDecoder undoes a Content-Transfer-Encoding.
func transferDecoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// base64Cleaner drops bytes that are not part of the base64 alphabet, as
// mail clients do (spaces, stray characters).
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		k := 0
		for _, b := range p[:n] {
			if b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}
