package extract

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"strings"
)

// zipDoc is an opened zip-based document (OOXML, ODF, EPUB) whose entries
// are read through the job's byte budget.
type zipDoc struct {
	j     *job
	zr    *zip.Reader
	files map[string]*zip.File
}

// openZip opens r as a zip archive after checking, from its end record,
// that it has at most MaxEntries entries: archive/zip reads the whole
// central directory into memory.
func openZip(j *job, r io.ReaderAt, size int64) (*zipDoc, error) {
	if n, ok := zipEntryCount(r, size); ok && n > uint64(j.lim.MaxEntries) {
		return nil, limitf("too many entries: %d in the archive, limit %d", n, j.lim.MaxEntries)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if j.alive() != nil {
			return nil, j.alive()
		}
		return nil, corruptf(j.typ, "not a valid zip archive: %v", err)
	}
	if len(zr.File) > j.lim.MaxEntries {
		return nil, limitf("too many entries: %d in the archive, limit %d", len(zr.File), j.lim.MaxEntries)
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		name := strings.TrimPrefix(f.Name, "/")
		if _, dup := files[name]; !dup {
			files[name] = f
		}
	}
	return &zipDoc{j: j, zr: zr, files: files}, nil
}

// has reports whether the archive has an entry called name.
func (z *zipDoc) has(name string) bool { _, ok := z.files[name]; return ok }

// open opens the entry called name for reading within the byte budget. An
// entry that declares more than MaxEntryBytes is refused before it is read;
// one that lies about its size is stopped by the counting reader.
func (z *zipDoc) open(name string) (io.ReadCloser, error) {
	f, ok := z.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if f.UncompressedSize64 > uint64(z.j.lim.MaxEntryBytes) {
		return nil, limitf("zip bomb: entry %s exceeds %s decompressed", name, humanBytes(z.j.lim.MaxEntryBytes))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, corruptf(z.j.typ, "entry %s: %v", name, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{z.j.counted(rc, "entry "+name), rc}, nil
}

// walk streams the XML entry called name through fn; see walkXML.
func (z *zipDoc) walk(name string, fn func(tok xml.Token, depth int) error) error {
	rc, err := z.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := z.j.walkXML(rc, fn); err != nil {
		switch {
		case z.j.alive() != nil:
			return z.j.alive()
		case errors.Is(err, zip.ErrFormat):
			// archive/zip stops an entry that decompresses past its
			// declared size: a bomb with a lying header, or damage.
			return corruptf(z.j.typ, "entry %s: decompressed size does not match its header", name)
		case errors.Is(err, zip.ErrChecksum):
			return corruptf(z.j.typ, "entry %s: checksum mismatch", name)
		}
		if _, ok := asFailure(err); ok {
			return err
		}
		return corruptf(z.j.typ, "entry %s: %v", name, err)
	}
	return nil
}

// errStop ends a walk early without an error.
var errStop = errors.New("stop")

// walkXML calls fn for each start element, end element and character data
// of the XML document read from r; depth counts the open elements (1 for the
// root). It refuses documents nested deeper than MaxDepth and stops early,
// without error, when the text limit is reached or fn returns errStop.
func (j *job) walkXML(r io.Reader, fn func(tok xml.Token, depth int) error) error {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		enc := lookupCharset(label)
		if enc == nil {
			return nil, errors.New("unknown charset " + label)
		}
		return enc.NewDecoder().Reader(in), nil
	}
	depth := 0
	for !j.out.full() {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > j.lim.MaxDepth {
				return limitf("too deeply nested: XML deeper than %d levels", j.lim.MaxDepth)
			}
			err = fn(t, depth)
		case xml.EndElement:
			err = fn(t, depth)
			depth--
		case xml.CharData:
			err = fn(t, depth)
		}
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// attr returns the value of the attribute with the given local name.
func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// zipEntryCount reads the entry count from the zip end-of-central-directory
// record (or its zip64 variant). ok is false when the record is not found.
func zipEntryCount(r io.ReaderAt, size int64) (n uint64, ok bool) {
	const eocdLen, maxComment = 22, 65535
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	n = uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xffff || i < 20 || !bytes.Equal(buf[i-20:i-16], []byte("PK\x06\x07")) {
		return n, true
	}
	// zip64: the locator points at the zip64 end record.
	off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
	rec := make([]byte, 56)
	if off < 0 || off > size-56 {
		return n, true
	}
	if _, err := r.ReadAt(rec, off); err != nil || !bytes.Equal(rec[:4], []byte("PK\x06\x06")) {
		return n, true
	}
	return binary.LittleEndian.Uint64(rec[32:]), true
}
