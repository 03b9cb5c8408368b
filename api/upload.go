package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

// UploadShare is the share of each node that holds the files uploaded
// through it. Its files are the only ones the API deletes.
const UploadShare = "uploads"

// DefaultMaxUploadBytes is the default bound of one upload: 1 GiB.
const DefaultMaxUploadBytes int64 = 1 << 30

// MaxUploadNameBytes bounds an uploaded file's name: its whole path.
const MaxUploadNameBytes = 255

// MaxUploadDepth bounds the components of an uploaded file's path
// (folders and the file name).
const MaxUploadDepth = 32

// Uploads stores uploaded files and removes them.
type Uploads interface {
	// Upload reads u.Body to its end, stores it durably on the replicas
	// u.Level asks for, extracts its text and indexes it as the file
	// u.Name of this node's UploadShare (replacing a file of that name),
	// and returns its record. An error reading the body is returned
	// wrapped (an *http.MaxBytesError for an oversized one).
	Upload(ctx context.Context, u Upload) (ds.Record, error)
	// Delete removes an uploaded file (a record of UploadShare, on any
	// node): its record and its index entry.
	Delete(ctx context.Context, rec ds.Record) error
	// UploadAtomic stores the files next returns (nil at the end) as one
	// operation: it returns their records once every file is durable on
	// the replicas level asks for and the cluster decided to commit them
	// all — or an error, and then none of them is visible anywhere, even
	// if the node crashes midway (two-phase commit).
	UploadAtomic(ctx context.Context, level quorum.Level, next func() (*Upload, error)) ([]ds.Record, error)
}

// MaxBatchFiles bounds the files of one atomic upload.
const MaxBatchFiles = 1000

// Upload is one file sent to POST /api/files.
type Upload struct {
	Name  string       // a relative path: a file name, maybe in folders (ValidUploadName)
	Body  io.Reader    // the bytes, streamed
	Size  int64        // the declared length, -1 when unknown
	Level quorum.Level // how many replicas must hold it before the answer
}

// ValidUploadName reports why name cannot name an uploaded file. A name is
// a relative path: a file name, or folders and a file name separated by
// single slashes ("reports/2025/q1.pdf"), of valid UTF-8, at most
// MaxUploadNameBytes in all and MaxUploadDepth components. Each component
// is non-empty, not "." or "..", without backslashes, NUL or other control
// characters, and neither starts nor ends with a space. So no name leaves
// the upload share ("../x", "/abs", "a//b" are refused).
func ValidUploadName(name string) error {
	return validRelPath(name, func(why string) error {
		return ds.Errorf(ds.KindInvalid, "bad_name", "the file name %s; give a file name, or a path of folders and a file name separated by / (reports/q1.pdf), with ?name=", why)
	})
}

// ValidFolderPath reports why folder cannot name a folder of uploaded
// files: the rules of ValidUploadName (a folder is the leading part of
// file paths), code bad_path.
func ValidFolderPath(folder string) error {
	return validRelPath(folder, func(why string) error {
		return ds.Errorf(ds.KindInvalid, "bad_path", "the folder path %s; give a relative path of folders separated by / (reports/2025)", why)
	})
}

// validRelPath checks p against the rules of ValidUploadName, describing a
// violation with bad.
func validRelPath(p string, bad func(why string) error) error {
	switch {
	case p == "":
		return bad("is missing")
	case len(p) > MaxUploadNameBytes:
		return bad("is longer than " + strconv.Itoa(MaxUploadNameBytes) + " bytes")
	case !utf8.ValidString(p):
		return bad("is not valid UTF-8")
	case strings.HasPrefix(p, "/"):
		return bad("must be relative (no leading /)")
	}
	parts := strings.Split(p, "/")
	if len(parts) > MaxUploadDepth {
		return bad("has more than " + strconv.Itoa(MaxUploadDepth) + " components")
	}
	for _, c := range parts {
		switch {
		case c == "":
			return bad("has an empty component (// or a trailing /)")
		case c == "." || c == "..":
			return bad("may not contain . or .. components")
		case strings.TrimSpace(c) != c:
			return bad("has a component that starts or ends with spaces")
		}
		for _, r := range c {
			switch {
			case r == '\\':
				return bad("may not contain \\")
			case unicode.IsControl(r) || r == utf8.RuneError || r == '\u2028' || r == '\u2029':
				return bad("may not contain control characters")
			}
		}
	}
	return nil
}

type rawBodyKey struct{}

// uploadBody returns the request's body bounded by max instead of
// MaxBodyBytes (see ServeHTTP).
func uploadBody(w http.ResponseWriter, r *http.Request, max int64) io.Reader {
	raw, ok := r.Context().Value(rawBodyKey{}).(io.ReadCloser)
	if !ok {
		raw = r.Body
	}
	return http.MaxBytesReader(w, raw, max)
}

var errUploadsUnavailable = ds.Errorf(ds.KindUnavailable, "uploads_unavailable", "this node does not take uploads")

// canUpload reports whether p may see this node's upload share, and so
// put files in it.
func (s *Server) canUpload(p *Principal) bool {
	if s.cfg.Access == nil || rbac.Allowed(p.Roles, "*:*") {
		return true
	}
	for _, sh := range s.cfg.Access.Shares() {
		if sh.Share == UploadShare {
			return rbac.CanSee(p.Roles, p.Groups, sh.ACL)
		}
	}
	return true
}

// uploadTerms checks what every upload route checks before reading the
// body — the consistency level, a declared length within the limit, the
// caller's right to the upload share — and returns the level and the error
// an oversized body answers (what names the upload: "file is", "files are").
func (s *Server) uploadTerms(r *http.Request, what string) (quorum.Level, error, error) {
	tooLarge := ds.Errorf(ds.KindTooLarge, "upload_too_large", "the %s larger than this node's upload limit of %d bytes", what, s.cfg.MaxUploadBytes)
	level, err := quorum.ParseLevel(r.URL.Query().Get("consistency"))
	if err != nil {
		return 0, tooLarge, ds.Errorf(ds.KindInvalid, "bad_consistency", "consistency must be strong, quorum (the default) or eventual")
	}
	if r.ContentLength > s.cfg.MaxUploadBytes {
		return 0, tooLarge, tooLarge
	}
	if p, _ := PrincipalFrom(r.Context()); !s.canUpload(p) {
		return 0, tooLarge, ds.Errorf(ds.KindForbidden, "forbidden", "the %q share of this node is restricted; your roles and groups do not allow it", UploadShare)
	}
	return level, tooLarge, nil
}

// handleUpload is POST /api/files?name=NAME&consistency=LEVEL: the raw
// body is streamed into the cluster's chunk store; the answer, 201 with
// the file's record, comes once the chunks are durable on the replicas
// the level asks for.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Uploads == nil {
		s.writeError(w, r, errUploadsUnavailable)
		return
	}
	q := r.URL.Query()
	name := q.Get("name")
	if err := ValidUploadName(name); err != nil {
		s.writeError(w, r, err)
		return
	}
	level, tooLarge, err := s.uploadTerms(r, "file is")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The body may take longer than the server's read timeout; the
	// recorder of tests does not support deadlines, which is fine.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.UploadTimeout))
	rec, err := s.cfg.Uploads.Upload(r.Context(), Upload{Name: name, Body: uploadBody(w, r, s.cfg.MaxUploadBytes),
		Size: r.ContentLength, Level: level})
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = tooLarge
	}
	details := map[string]string{"share": UploadShare, "path": name, "consistency": strings.ToLower(level.String())}
	resource := "upload:" + name
	if err == nil {
		resource = "file:" + rec.FileID
		details["size"] = strconv.FormatInt(rec.Size, 10)
	}
	s.audit(r, audit.Entry{Action: audit.ActionUpload, Resource: resource, Result: resultOf(err), Details: details})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/files/"+rec.FileID)
	writeJSON(w, http.StatusCreated, rec.Public())
}

// handleUploadBatch is POST /api/files/batch?consistency=LEVEL: a
// multipart/form-data body whose file parts (those with a filename) are
// uploaded as one atomic operation — all of them or none. The answer,
// 201 with {"files": [records]}, comes once every file is durable on the
// replicas the level asks for and the commit is decided. The whole body is
// bounded by the node's upload limit; at most MaxBatchFiles files.
func (s *Server) handleUploadBatch(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Uploads == nil {
		s.writeError(w, r, errUploadsUnavailable)
		return
	}
	level, tooLarge, err := s.uploadTerms(r, "files are")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		s.writeError(w, r, ds.Errorf(ds.KindInvalid, "bad_content_type", "send the files as multipart/form-data"))
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.UploadTimeout))
	mr := multipart.NewReader(uploadBody(w, r, s.cfg.MaxUploadBytes), params["boundary"])
	var names []string
	seen := map[string]bool{}
	next := func() (*Upload, error) {
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				if len(names) == 0 {
					return nil, ds.Errorf(ds.KindInvalid, "no_files", "the request holds no file part")
				}
				return nil, nil
			}
			if err != nil {
				return nil, wrapBodyError(err)
			}
			name := partFileName(part)
			if name == "" {
				continue // a form field, not a file
			}
			if err := ValidUploadName(name); err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, ds.Errorf(ds.KindInvalid, "duplicate_name", "the file name %q appears twice in the batch", name)
			}
			if len(names) == MaxBatchFiles {
				return nil, ds.Errorf(ds.KindTooLarge, "too_many_files", "an atomic upload holds at most %d files", MaxBatchFiles)
			}
			seen[name] = true
			names = append(names, name)
			return &Upload{Name: name, Body: part, Size: -1, Level: level}, nil
		}
	}
	recs, err := s.cfg.Uploads.UploadAtomic(r.Context(), level, next)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = tooLarge
	}
	for i, name := range names {
		details := map[string]string{"share": UploadShare, "path": name, "consistency": strings.ToLower(level.String()), "atomic": "true"}
		resource := "upload:" + name
		if err == nil && i < len(recs) {
			resource = "file:" + recs[i].FileID
			details["size"] = strconv.FormatInt(recs[i].Size, 10)
		}
		s.audit(r, audit.Entry{Action: audit.ActionUpload, Resource: resource, Result: resultOf(err), Details: details})
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]ds.Record, len(recs))
	for i, rec := range recs {
		out[i] = rec.Public()
	}
	writeJSON(w, http.StatusCreated, map[string]any{"files": out})
}

// partFileName returns the filename of a multipart part as it was sent,
// which may be a relative path (Part.FileName keeps only its base name).
func partFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return p.FileName()
	}
	return params["filename"]
}

// wrapBodyError keeps an oversized body recognisable and names any other
// failure to read a multipart body.
func wrapBodyError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return err
	}
	return &ds.Error{Kind: ds.KindInvalid, Code: "bad_multipart", Message: "the multipart body cannot be read", Err: err}
}

// handleDelete is DELETE /api/files/{file_id}: an uploaded file's record
// and index entry are removed (its chunks stay until garbage collection).
// Files of shared folders are the folders' business: 409.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Uploads == nil {
		s.writeError(w, r, errUploadsUnavailable)
		return
	}
	rec, ok := s.record(w, r)
	if !ok {
		return
	}
	if rec.Share != UploadShare {
		s.writeError(w, r, ds.Errorf(ds.KindConflict, "not_deletable",
			"only uploaded files can be deleted; this file is in the shared folder %q of node %s, remove it there", rec.Share, rec.NodeID))
		return
	}
	err := s.cfg.Uploads.Delete(r.Context(), rec)
	s.audit(r, audit.Entry{Action: audit.ActionDelete, Resource: "file:" + rec.FileID, Result: resultOf(err),
		Details: map[string]string{"share": rec.Share, "path": rec.Path, "node": rec.NodeID}})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
