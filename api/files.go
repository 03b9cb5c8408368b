package api

import (
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
)

// MaxPreviewBytes bounds the text returned by /api/files/{id}/content.
const MaxPreviewBytes = 1 << 20

func (s *Server) record(w http.ResponseWriter, r *http.Request) (ds.Record, bool) {
	id := r.PathValue("file_id")
	if !ds.IsFileID(id) {
		s.writeError(w, r, errBadFileID)
		return ds.Record{}, false
	}
	rc, err := readConsistency(r)
	if err != nil {
		s.writeError(w, r, err)
		return ds.Record{}, false
	}
	ctx := WithReadConsistency(r.Context(), rc)
	rec, err := s.cfg.Files.Record(ctx, id)
	if rc.Achieved != "" {
		w.Header().Set("X-Read-Consistency", rc.Achieved)
	}
	if err != nil {
		if ds.KindOf(err) == ds.KindNotFound {
			err = errFileNotFound
		}
		s.writeError(w, r, err)
		return ds.Record{}, false
	}
	if p, _ := PrincipalFrom(r.Context()); !s.visible(p, rec) {
		s.writeError(w, r, errFileNotFound)
		return ds.Record{}, false
	}
	return rec, true
}

func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, rec.Public())
}

// handleContent returns the extracted text for previews, cut at MaxPreviewBytes.
func (s *Server) handleContent(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	text, err := s.cfg.Files.Content(r.Context(), rec.FileID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	truncated := false
	if len(text) > MaxPreviewBytes {
		cut := MaxPreviewBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text, truncated = text[:cut], true
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"file_id": rec.FileID, "text": text, "truncated": truncated || rec.Extraction.Truncated,
		"extraction": rec.Extraction,
	})
}

// handleDownload streams the file's bytes with Range and ETag support.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	blob, err := s.cfg.Files.Open(r.Context(), rec)
	details := map[string]string{"share": rec.Share, "path": rec.Path}
	if rg := r.Header.Get("Range"); rg != "" {
		details["range"] = rg
	}
	s.audit(r, audit.Entry{Action: audit.ActionDownload, Resource: "file:" + rec.FileID, Result: resultOf(err), Details: details})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer blob.Close()
	ctype := rec.MIME
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("ETag", `"`+rec.ContentHash+`"`)
	h.Set("Content-Disposition", ContentDisposition(rec.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	http.ServeContent(w, r, "", rec.ModTime, blob)
}

// ContentDisposition returns a safe attachment header for a file name:
// control characters (CR, LF, NUL ...), quotes, backslashes and path
// separators are replaced, and non-ASCII names use RFC 2231 encoding.
func ContentDisposition(name string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), r == '"', r == '\\', r == '/':
			return '_'
		}
		return r
	}, name)
	if len(clean) > 255 {
		clean = clean[:255]
		for !utf8.ValidString(clean) {
			clean = clean[:len(clean)-1]
		}
	}
	if clean == "" {
		clean = "download"
	}
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": clean}); v != "" {
		return v
	}
	return "attachment"
}
