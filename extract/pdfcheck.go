package extract

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"io"
	"strconv"
)

// ledongthuc/pdf trusts the numbers in a file: an xref /Size, a subsection
// count, a /W width or a predictor's /Columns becomes an allocation, and an
// object stream listed as inside another object stream recurses without
// end. Those end the process (out of memory, stack overflow), which no
// recover can catch. pdfPreflight looks for such values in the raw bytes,
// wherever they are (also inside other objects' stream data, since the
// library jumps to offsets rather than reading in order), before the
// library sees the file.

// pdfKeywords returns the offsets just after each occurrence of the
// keyword kw that stands alone (not part of a longer word).
func pdfKeywords(data []byte, kw string) []int {
	var out []int
	isWord := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for i := 0; ; {
		k := bytes.Index(data[i:], []byte(kw))
		if k < 0 {
			return out
		}
		at, end := i+k, i+k+len(kw)
		if (at == 0 || !isWord(data[at-1])) && (end == len(data) || !isWord(data[end])) {
			out = append(out, end)
		}
		i = end
	}
}

// pdfObjNumber parses the "N G" before an "obj" keyword that ends at end;
// ok is false if there is none.
func pdfObjNumber(data []byte, end int) (num int64, ok bool) {
	i := end - len("obj")
	// back moves i back over up to 32 bytes of a class; ok if it moved.
	back := func(class func(byte) bool) (int, bool) {
		j := i
		for j > 0 && i-j < 32 && class(data[j-1]) {
			j--
		}
		from := i
		i = j
		return from, j < from
	}
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	if _, ok := back(isPDFSpace); !ok {
		return 0, false
	}
	if _, ok := back(digit); !ok {
		return 0, false
	}
	if _, ok := back(isPDFSpace); !ok {
		return 0, false
	}
	numEnd := i
	if _, ok := back(digit); !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(data[i:numEnd]), 10, 64)
	return n, err == nil
}

// pdfMaxObjects bounds object numbers: generous for sparse numbering (twice
// the file size plus 64K), and at most 4M objects, whose table the library
// holds in about 160 MB.
func pdfMaxObjects(size int) int64 {
	return min(2*int64(size)+1<<16, 4<<20)
}

// pdfPreflight refuses files whose structure would make the library
// allocate without bound or recurse without end. See the comment above.
func pdfPreflight(j *job, data []byte) error {
	maxObj := pdfMaxObjects(len(data))
	bad := func(what string) error { return corruptf("pdf", "%s", what) }
	parserAt := func(off int) (*pdfParser, *bytes.Reader) {
		br := bytes.NewReader(data[off:])
		return &pdfParser{j: j, lex: &pdfLex{r: bufio.NewReaderSize(br, 64)}}, br
	}

	// Cross-reference tables: "start count" subsection headers, then the
	// trailer's /Size.
	for _, at := range pdfKeywords(data, "xref") {
		if err := j.alive(); err != nil {
			return err
		}
		if at == len(data) || !isPDFSpace(data[at]) {
			continue
		}
		p, _ := parserAt(at)
		for {
			t, err := p.next()
			if err != nil || t.kind != tokNum {
				if err == nil && t.kind == tokOp && t.str == "trailer" {
					if d, _ := p.object(0, j.lim.MaxDepth); d.dict != nil {
						if s, ok := d.dict["Size"]; ok && s.isInt() && (s.num < 0 || int64(s.num) > maxObj) {
							return bad("xref size " + strconv.FormatInt(int64(s.num), 10) + " out of range")
						}
					}
				}
				break
			}
			n, err := p.next()
			if err != nil || n.kind != tokNum {
				break
			}
			if t.num < 0 || n.num < 0 || int64(t.num)+int64(n.num) > maxObj {
				return bad("xref subsection out of range")
			}
			for range int(n.num) * 3 {
				if _, err = p.next(); err != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
	}

	// Objects: xref streams, object streams, predictor parameters, and
	// integer objects that object streams may refer to. Every "obj" keyword
	// is a candidate, whatever precedes it.
	ints := map[int64]float64{}  // indirect integers, the largest per number
	var refs []pdfObj            // values of object streams that must be small
	inStream := map[int64]bool{} // objects that xref streams place inside object streams
	var containers []int64       // object streams that hold them
	for _, at := range pdfKeywords(data, "obj") {
		if err := j.alive(); err != nil {
			return err
		}
		num, numbered := pdfObjNumber(data, at)
		p, br := parserAt(at)
		o, err := p.object(0, j.lim.MaxDepth)
		if _, isFailure := asFailure(err); isFailure || j.alive() != nil {
			return err
		}
		if o.isInt() && numbered {
			ints[num] = max(ints[num], o.num)
		}
		if o.dict == nil {
			continue
		}
		typ := o.dict["Type"].str
		parms := pdfParms(o.dict["DecodeParms"])
		for _, d := range parms {
			if c := d["Columns"]; c.kind == tokNum && (c.num < 0 || int64(c.num) > pdfMaxColumns) {
				return bad("predictor columns out of range")
			}
		}
		switch typ {
		case "XRef":
			if err := pdfCheckXRefDict(o.dict, maxObj); err != nil {
				return err
			}
		case "ObjStm":
			refs = append(refs, o.dict["N"])
			for _, d := range parms {
				refs = append(refs, d["Columns"])
			}
		default:
			continue
		}
		// The stream data follows "stream" and an end of line.
		t, err := p.next()
		if err != nil || t.kind != tokOp || t.str != "stream" {
			continue
		}
		start := len(data) - br.Len() - p.lex.r.Buffered()
		raw := pdfStreamData(data, start, o.dict["Length"])
		dec, err := pdfDecode(j, raw, o.dict, typ)
		if err != nil {
			return err
		}
		if typ == "XRef" && dec != nil {
			for x, s := range pdfXRefStreamEntries(o.dict, dec, maxObj) {
				inStream[x] = true
				containers = append(containers, s)
			}
		}
	}
	// The library resolves the references of object streams: they must
	// lead to known integers in range.
	for _, r := range refs {
		v, known := r.num, r.kind == tokNum
		if r.kind == tokOp {
			v, known = ints[int64(r.num)]
		}
		if r.kind != 0 && (!known || v < 0 || int64(v) > maxObj) {
			return bad("object stream count or width out of range")
		}
	}
	for _, s := range containers {
		if inStream[s] {
			return bad("object stream stored inside an object stream")
		}
	}
	return nil
}

// pdfMaxColumns bounds a predictor's /Columns (the library allocates a row).
const pdfMaxColumns = 1 << 20

// pdfParms returns the DecodeParms dictionaries (one, or one per filter).
func pdfParms(v pdfObj) []map[string]pdfObj {
	if v.dict != nil {
		return []map[string]pdfObj{v.dict}
	}
	var out []map[string]pdfObj
	for _, e := range v.arr {
		if e.dict != nil {
			out = append(out, e.dict)
		}
	}
	return out
}

// pdfCheckXRefDict checks the numbers of an xref stream dictionary.
func pdfCheckXRefDict(d map[string]pdfObj, maxObj int64) error {
	bad := func(what string) error { return corruptf("pdf", "xref stream %s out of range", what) }
	if s := d["Size"]; s.kind != tokNum || s.num < 0 || int64(s.num) > maxObj {
		return bad("size")
	}
	w := d["W"]
	if len(w.arr) < 3 || len(w.arr) > 32 {
		return bad("widths")
	}
	for _, e := range w.arr {
		if !e.isInt() || e.num < 0 || e.num > 8 {
			return bad("widths")
		}
	}
	if d["Index"].cut {
		return bad("index")
	}
	idx := d["Index"].arr
	for i := 0; i+1 < len(idx); i += 2 {
		if idx[i].num < 0 || idx[i+1].num < 0 || int64(idx[i].num)+int64(idx[i+1].num) > maxObj {
			return bad("index")
		}
	}
	return nil
}

// pdfStreamData returns the raw bytes of a stream starting at start (just
// after the "stream" keyword): Length bytes when it is a direct number,
// else up to "endstream".
func pdfStreamData(data []byte, start int, length pdfObj) []byte {
	if start < len(data) && data[start] == '\r' {
		start++
	}
	if start < len(data) && data[start] == '\n' {
		start++
	}
	if start > len(data) {
		return nil
	}
	if length.isInt() && length.num >= 0 && start+int(length.num) <= len(data) {
		return data[start : start+int(length.num)]
	}
	if end := bytes.Index(data[start:], []byte("endstream")); end >= 0 {
		return data[start : start+end]
	}
	return data[start:]
}

// pdfDecode inflates the data of an xref or object stream within the
// job's byte budget. Other filters are left to the library (it refuses
// them); nil means not decoded.
func pdfDecode(j *job, raw []byte, d map[string]pdfObj, typ string) ([]byte, error) {
	f := d["Filter"]
	if f.kind == tokArrOpen && len(f.arr) == 1 {
		f = f.arr[0]
	}
	if f.kind == 0 {
		return raw, nil
	}
	if f.str != "FlateDecode" {
		return nil, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, nil
	}
	if typ != "XRef" {
		// Object streams are only measured: the library reads them.
		_, err = io.Copy(io.Discard, j.counted(zr, "pdf object stream"))
		if _, isLimit := asFailure(err); isLimit {
			return nil, err
		}
		return nil, j.alive()
	}
	var out bytes.Buffer
	_, err = io.Copy(&out, j.counted(zr, "pdf xref stream"))
	if _, isLimit := asFailure(err); isLimit {
		return nil, err
	}
	if err := j.alive(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// pdfXRefStreamEntries decodes an xref stream (PNG Up predictor or none)
// and returns its type-2 entries: object number to containing stream.
func pdfXRefStreamEntries(d map[string]pdfObj, data []byte, maxObj int64) map[int64]int64 {
	var w []int
	wsum := 0
	for _, e := range d["W"].arr {
		w = append(w, int(e.num))
		wsum += int(e.num)
	}
	if len(w) < 3 || wsum == 0 {
		return nil
	}
	if parms := d["DecodeParms"]; parms.dict != nil {
		if pred := parms.dict["Predictor"]; pred.isInt() && pred.num >= 10 {
			data = pngUnpredict(data, wsum)
		}
	}
	index := []int64{0, int64(d["Size"].num)}
	if arr := d["Index"].arr; len(arr) >= 2 {
		index = index[:0]
		for _, e := range arr {
			index = append(index, int64(e.num))
		}
	}
	field := func(b []byte) int64 {
		var x int64
		for _, c := range b {
			x = x<<8 | int64(c)
		}
		return x
	}
	out := map[int64]int64{}
	for i := 0; i+1 < len(index) && len(data) >= wsum; i += 2 {
		for k := int64(0); k < index[i+1] && len(data) >= wsum; k++ {
			typ := int64(1)
			if w[0] > 0 {
				typ = field(data[:w[0]])
			}
			if typ == 2 {
				out[index[i]+k] = field(data[w[0] : w[0]+w[1]])
			}
			data = data[wsum:]
		}
	}
	return out
}

// pngUnpredict undoes PNG row prediction (all filter types) for rows of
// cols bytes.
func pngUnpredict(data []byte, cols int) []byte {
	var out []byte
	prev := make([]byte, cols)
	for len(data) >= cols+1 {
		ft, row := data[0], data[1:cols+1]
		cur := make([]byte, cols)
		for i := range row {
			var left, upLeft byte
			if i > 0 {
				left, upLeft = cur[i-1], prev[i-1]
			}
			up := prev[i]
			switch ft {
			case 1:
				cur[i] = row[i] + left
			case 2:
				cur[i] = row[i] + up
			case 3:
				cur[i] = row[i] + byte((int(left)+int(up))/2)
			case 4:
				cur[i] = row[i] + paeth(left, up, upLeft)
			default:
				cur[i] = row[i]
			}
		}
		out = append(out, cur...)
		prev = cur
		data = data[cols+1:]
	}
	return out
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
