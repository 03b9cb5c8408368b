package extract

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/saintfish/chardet"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// extractText keeps plain text and source code as they are, decoded to UTF-8.
func extractText(j *job, r io.ReaderAt, size int64, res *Result) error {
	text, err := readText(j, r, size, res)
	if err != nil {
		return err
	}
	j.out.write(text)
	return nil
}

// readText reads and decodes a text file. It reads no more than the text
// limit can use, marking res truncated when it stops early, and records the
// charset in res.Meta.
func readText(j *job, r io.ReaderAt, size int64, res *Result) (string, error) {
	// UTF-8 never grows when decoded; UTF-16 and legacy encodings grow at
	// most 3 bytes per 2 or 1 input bytes. Reading 4 bytes per output byte
	// is always enough.
	n := min(size, 4*int64(j.lim.MaxTextBytes)+4)
	b, err := readAt(j, r, n)
	if err != nil {
		return "", err
	}
	cut := n < size
	if cut {
		res.Truncated = true
	}
	text, cs := decodeText(b, cut)
	setMeta(res, "charset", cs)
	return text, nil
}

// readAt reads the first n bytes of r.
func readAt(j *job, r io.ReaderAt, n int64) ([]byte, error) {
	if err := j.alive(); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	m, err := r.ReadAt(b, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(m) == n) {
		return nil, err
	}
	return b, nil
}

// decodeText decodes b to UTF-8 and names the charset it assumed: a byte
// order mark decides; then valid UTF-8 is UTF-8; then the detector's guess
// is taken only when it is confident; Windows-1252 is the fallback. cut says
// b may end in the middle of a character.
func decodeText(b []byte, cut bool) (string, string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return string(trimPartialUTF8(b[3:], cut)), "utf-8"
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return decodeUTF16(b[2:], unicode.LittleEndian), "utf-16le"
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return decodeUTF16(b[2:], unicode.BigEndian), "utf-16be"
	}
	if t := trimPartialUTF8(b, cut); utf8.Valid(t) {
		if isASCII(t) {
			return string(t), "us-ascii"
		}
		return string(t), "utf-8"
	}
	name := guessCharset(b)
	enc := lookupCharset(name)
	if enc == nil {
		enc, name = charmap.Windows1252, "windows-1252"
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD"), name
	}
	return string(out), name
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// trimPartialUTF8 drops an incomplete UTF-8 sequence at the end of b when b
// was cut.
func trimPartialUTF8(b []byte, cut bool) []byte {
	if !cut {
		return b
	}
	for k := 1; k <= 3 && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			break
		}
	}
	return b
}

func decodeUTF16(b []byte, order unicode.Endianness) string {
	b = b[:len(b)&^1]
	out, err := unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder().Bytes(b)
	if err != nil {
		return ""
	}
	return string(out)
}

// guessCharset asks the statistical detector about b, which is not UTF-8.
// Its answer is a hint: it is unreliable on short text, so it is taken only
// when confident and when it is not one of the Latin-1 family, which
// Windows-1252 covers better.
func guessCharset(b []byte) string {
	if len(b) > 64<<10 {
		b = b[:64<<10]
	}
	best, err := chardet.NewTextDetector().DetectBest(b)
	if err != nil || best == nil || best.Confidence < 60 {
		return "windows-1252"
	}
	switch strings.ToLower(best.Charset) {
	case "utf-8", "iso-8859-1", "windows-1252", "iso-8859-15", "iso-8859-9", "iso-8859-2":
		return "windows-1252"
	}
	return best.Charset
}

// lookupCharset returns the encoding of a charset name (as in MIME headers,
// HTML or the detector), or nil when it is unknown.
func lookupCharset(name string) encoding.Encoding {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), `"'`))
	if name == "" {
		return nil
	}
	if enc, err := htmlindex.Get(name); err == nil && enc != nil {
		return enc
	}
	if enc, err := ianaindex.MIME.Encoding(name); err == nil && enc != nil {
		return enc
	}
	switch name { // names the indexes do not know
	case "gb-18030":
		enc, _ := htmlindex.Get("gb18030")
		return enc
	}
	return nil
}

// decodeCharset decodes b from the named charset; unknown charsets are read
// as UTF-8 when valid and as Windows-1252 otherwise.
func decodeCharset(b []byte, name string) string {
	enc := lookupCharset(name)
	if enc == nil || enc == encoding.Nop {
		if utf8.Valid(b) {
			return string(b)
		}
		enc = charmap.Windows1252
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}
