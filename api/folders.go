package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

// Folders deletes and moves folders of uploaded files. A folder is the
// leading part of upload paths ("reports/2025" holds
// "reports/2025/q1.pdf" and "reports/2025/eu/de.pdf"); it exists as long
// as a file under it does. An operation covers every uploaded file under
// the folder that the caller may see, whichever node took it, and applies
// to all of them or to none (two-phase commit), even if the node running
// it crashes midway.
type Folders interface {
	// DeleteFolder deletes every uploaded file under folder and returns
	// them. Errors (codes): folder_not_found, too_many_files,
	// folder_unavailable (the folder could not be listed whole),
	// folder_operation_aborted (nothing applied), outcome_unknown.
	DeleteFolder(ctx context.Context, folder string, level quorum.Level) (FolderResult, error)
	// MoveFolder gives every uploaded file under from the path to + its
	// path below from, keeping its bytes (and so getting a new file id),
	// and returns them. Errors: those of DeleteFolder, bad_path (a new
	// path too long or too deep), target_exists (a file of the same owner
	// already has a new path).
	MoveFolder(ctx context.Context, from, to string, level quorum.Level) (FolderResult, error)
}

// MaxFolderFiles bounds the files one folder operation touches.
const MaxFolderFiles = 1000

// FolderResult is the answer of a folder operation.
type FolderResult struct {
	Folder string       `json:"folder"`
	To     string       `json:"to,omitempty"` // a move's target folder
	Count  int          `json:"count"`
	Files  []FolderFile `json:"files"`
}

// FolderFile is one file a folder operation deleted or moved.
type FolderFile struct {
	FileID    string `json:"file_id"`
	NodeID    string `json:"node_id"` // the node that took the upload
	Path      string `json:"path"`
	NewFileID string `json:"new_file_id,omitempty"` // a move's: the file's id at its new path
	NewPath   string `json:"new_path,omitempty"`
}

// MoveFolderRequest is the body of POST /api/folders/move.
type MoveFolderRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// maxFolderBody bounds the body of POST /api/folders/move: two paths.
const maxFolderBody = 4 << 10

// folderTerms checks what both folder routes check before any work: the
// service, the consistency level and the caller's right to the upload
// share.
func (s *Server) folderTerms(r *http.Request) (quorum.Level, error) {
	if s.cfg.Folders == nil {
		return 0, ds.Errorf(ds.KindUnavailable, "uploads_unavailable", "this node does not take uploads, so it cannot change folders of uploaded files")
	}
	level, err := quorum.ParseLevel(r.URL.Query().Get("consistency"))
	if err != nil {
		return 0, ds.Errorf(ds.KindInvalid, "bad_consistency", "consistency must be strong, quorum (the default) or eventual")
	}
	if p, _ := PrincipalFrom(r.Context()); !s.canUpload(p) {
		return 0, ds.Errorf(ds.KindForbidden, "forbidden", "the %q share is restricted; your roles and groups do not allow it", UploadShare)
	}
	return level, nil
}

// handleFolderDelete is DELETE /api/folders?path=FOLDER&consistency=LEVEL:
// every uploaded file under FOLDER is deleted, atomically; 200 with the
// files deleted.
func (s *Server) handleFolderDelete(w http.ResponseWriter, r *http.Request) {
	folder := r.URL.Query().Get("path")
	level, err := s.folderTerms(r)
	if err == nil {
		err = ValidFolderPath(folder)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.cfg.Folders.DeleteFolder(r.Context(), folder, level)
	s.auditFolder(r, audit.ActionFolderDelete, folder, "", level, res, err)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// handleFolderMove is POST /api/folders/move?consistency=LEVEL with
// {"from": FOLDER, "to": FOLDER}: every uploaded file under from moves
// under to, atomically; 200 with the files moved (old and new ids).
func (s *Server) handleFolderMove(w http.ResponseWriter, r *http.Request) {
	var req MoveFolderRequest
	level, err := s.folderTerms(r)
	if err == nil {
		err = decodeJSON(w, r, &req, maxFolderBody)
	}
	if err == nil {
		err = validMove(req.From, req.To)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.cfg.Folders.MoveFolder(r.Context(), req.From, req.To, level)
	s.auditFolder(r, audit.ActionFolderMove, req.From, req.To, level, res, err)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// validMove checks the two folders of a move.
func validMove(from, to string) error {
	if err := ValidFolderPath(from); err != nil {
		return err
	}
	if err := ValidFolderPath(to); err != nil {
		return err
	}
	switch {
	case from == to:
		return ds.Errorf(ds.KindInvalid, "bad_path", "the folder would move onto itself; give another target")
	case strings.HasPrefix(to, from+"/"):
		return ds.Errorf(ds.KindInvalid, "bad_path", "a folder cannot move into itself (%q is inside %q)", to, from)
	}
	return nil
}

// auditFolder records a folder operation: one entry for the operation
// (resource folder:PATH) and, once it committed, one per file (resource
// file:ID) — a delete for each file deleted, a folder_move for each file
// moved — so that a file's history names the operation that removed it.
func (s *Server) auditFolder(r *http.Request, action audit.Action, from, to string, level quorum.Level, res FolderResult, err error) {
	details := map[string]string{"share": UploadShare, "consistency": strings.ToLower(level.String())}
	if to != "" {
		details["to"] = to
	}
	if err == nil {
		details["files"] = strconv.Itoa(res.Count)
	}
	s.audit(r, audit.Entry{Action: action, Resource: "folder:" + from, Result: resultOf(err), Details: details})
	if err != nil {
		return
	}
	for _, f := range res.Files {
		if to == "" {
			s.audit(r, audit.Entry{Action: audit.ActionDelete, Resource: "file:" + f.FileID, Result: audit.ResultSuccess,
				Details: map[string]string{"share": UploadShare, "path": f.Path, "node": f.NodeID, "folder": from, "atomic": "true"}})
			continue
		}
		s.audit(r, audit.Entry{Action: audit.ActionFolderMove, Resource: "file:" + f.FileID, Result: audit.ResultSuccess,
			Details: map[string]string{"share": UploadShare, "path": f.Path, "node": f.NodeID, "to_path": f.NewPath, "to_file_id": f.NewFileID}})
	}
}
