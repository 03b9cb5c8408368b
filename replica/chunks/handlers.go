package chunks

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Register adds the node-to-node routes to r, each behind MemberOnly.
// A replica accepts any verified chunk from a member: chunks are content
// addressed, and garbage collection by reference removes what no manifest
// names.
func (s *Service) Register(r Router) {
	h := func(f http.HandlerFunc) http.Handler { return r.MemberOnly(f) }
	r.HandleInternal("PUT "+PathChunk+"{hash}", h(s.handlePut))
	r.HandleInternal("GET "+PathChunk+"{hash}", h(s.handleGet))
	r.HandleInternal("POST "+PathMissing, h(s.handleMissing))
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Code: code, Error: msg})
}

func writeStoreError(w http.ResponseWriter, err error) {
	status, code := statusCode(err)
	writeError(w, status, code, err.Error())
}

func (s *Service) handlePut(w http.ResponseWriter, r *http.Request) {
	h, err := ParseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalid, err.Error())
		return
	}
	if r.ContentLength > MaxChunkSize {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "chunk exceeds "+strconv.Itoa(MaxChunkSize)+" bytes")
		return
	}
	body := http.MaxBytesReader(w, r.Body, MaxChunkSize)
	if _, err := s.store.PutFrom(h, body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = ErrTooLarge
		}
		writeStoreError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	h, err := ParseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalid, err.Error())
		return
	}
	b, err := s.store.Get(h)
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			s.log.Warn("corrupt chunk quarantined", "hash", h.String())
		}
		writeStoreError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b) // #nosec G705 -- verified chunk bytes as application/octet-stream with nosniff, to other nodes only (mutual TLS)
}

func (s *Service) handleMissing(w http.ResponseWriter, r *http.Request) {
	var req MissingRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxMissingBody))
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "request body too large")
		} else {
			writeError(w, http.StatusBadRequest, CodeInvalid, "bad request body: "+err.Error())
		}
		return
	}
	if len(req.Hashes) > MaxMissingBatch {
		writeError(w, http.StatusBadRequest, CodeInvalid, "at most "+strconv.Itoa(MaxMissingBatch)+" hashes")
		return
	}
	miss := s.store.Missing(req.Hashes)
	if miss == nil {
		miss = []Hash{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(MissingResponse{Missing: miss})
}
