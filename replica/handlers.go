package replica

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// decode reads a JSON body of at most MaxBodyBytes into v.
func (s *Service) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "bad request body: "+err.Error(), http.StatusBadRequest)
		}
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// partitionOK checks a partition number against the layout.
func (s *Service) partitionOK(p int) (*Layout, bool) {
	l, err := s.layout()
	if err != nil {
		return nil, false
	}
	return l, p >= 0 && p < l.Table.Partitions()
}

func (s *Service) handleWrite(w http.ResponseWriter, r *http.Request) {
	var req WriteRequest
	if !s.decode(w, r, &req) {
		return
	}
	if len(req.Entries) == 0 || len(req.Entries) > s.cfg.MaxBatch {
		http.Error(w, "entries: 1.."+strconv.Itoa(s.cfg.MaxBatch)+" per request", http.StatusBadRequest)
		return
	}
	l, err := s.layout()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	resp := WriteResponse{ViewIndex: l.View.Index, Results: make([]WriteResult, len(req.Entries))}
	for i, en := range req.Entries {
		e := en.Envelope
		switch {
		case e.Validate() != nil || len(e.Value) > s.cfg.MaxValueBytes:
			resp.Results[i] = WriteResult{Code: CodeInvalid, Error: "invalid envelope"}
		case l.Table.PartitionOf(e.Key) != en.Partition:
			resp.Results[i] = WriteResult{Code: CodeInvalid, Error: "key is not in partition " + strconv.Itoa(en.Partition)}
		case !l.Table.Holds(s.self, en.Partition):
			// A write for a partition this node does not hold in its view:
			// the sender placed it with another membership. Refuse it so
			// the sender keeps a hint rather than count a stray copy.
			resp.Results[i] = WriteResult{Code: CodeNotReplica, Error: "partition " + strconv.Itoa(en.Partition) + " not held at view " + strconv.FormatUint(l.View.Index, 10)}
		default:
			if _, err := s.applyLocal(en.Partition, e); err != nil {
				s.log.Error("apply", "key", e.Key, "err", err)
				resp.Results[i] = WriteResult{Code: CodeInternal, Error: "store failed"}
			} else {
				resp.Results[i] = WriteResult{Code: CodeOK}
			}
		}
	}
	writeJSON(w, resp)
}

func (s *Service) handleRead(w http.ResponseWriter, r *http.Request) {
	key, err := ParseResourceID(r.PathValue("resource_id"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p, err := strconv.Atoi(r.URL.Query().Get("partition"))
	l, ok := s.partitionOK(p)
	if err != nil || !ok || l.Table.PartitionOf(key) != p {
		http.Error(w, "bad partition", http.StatusBadRequest)
		return
	}
	e, found, err := s.store.Get(p, key)
	if err != nil {
		http.Error(w, "store failed", http.StatusInternalServerError)
		return
	}
	resp := ReadResponse{Found: found}
	if found {
		resp.Envelope = &e
	}
	writeJSON(w, resp)
}

func (s *Service) handleRoot(w http.ResponseWriter, r *http.Request) {
	p, err := strconv.Atoi(r.URL.Query().Get("partition"))
	if _, ok := s.partitionOK(p); err != nil || !ok {
		http.Error(w, "bad partition", http.StatusBadRequest)
		return
	}
	t := s.store.Tree(p)
	writeJSON(w, RootResponse{Partition: p, Root: hexHash(t.Root()), Keys: t.Len()})
}

func (s *Service) handleRoots(w http.ResponseWriter, r *http.Request) {
	var req RootsRequest
	if !s.decode(w, r, &req) {
		return
	}
	if len(req.Partitions) == 0 || len(req.Partitions) > s.cfg.MaxBatch {
		http.Error(w, "bad partitions", http.StatusBadRequest)
		return
	}
	resp := RootsResponse{Roots: make([]RootResponse, len(req.Partitions))}
	for i, p := range req.Partitions {
		if _, ok := s.partitionOK(p); !ok {
			http.Error(w, "bad partition", http.StatusBadRequest)
			return
		}
		t := s.store.Tree(p)
		resp.Roots[i] = RootResponse{Partition: p, Root: hexHash(t.Root()), Keys: t.Len()}
	}
	writeJSON(w, resp)
}

// treeRequest decodes and bounds a TreeRequest.
func (s *Service) treeRequest(w http.ResponseWriter, r *http.Request) (TreeRequest, bool) {
	var req TreeRequest
	if !s.decode(w, r, &req) {
		return req, false
	}
	if _, ok := s.partitionOK(req.Partition); !ok || len(req.Paths) == 0 || len(req.Paths) > s.store.MerkleConfig().Buckets() {
		http.Error(w, "bad partition or paths", http.StatusBadRequest)
		return req, false
	}
	return req, true
}

func (s *Service) handleChildren(w http.ResponseWriter, r *http.Request) {
	req, ok := s.treeRequest(w, r)
	if !ok {
		return
	}
	ch, err := s.store.Tree(req.Partition).Children(req.Paths)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp := ChildrenResponse{Children: make([][]string, len(ch))}
	for i, hs := range ch {
		resp.Children[i] = make([]string, len(hs))
		for j, h := range hs {
			resp.Children[i][j] = hexHash(h)
		}
	}
	writeJSON(w, resp)
}

func (s *Service) handleLeaves(w http.ResponseWriter, r *http.Request) {
	req, ok := s.treeRequest(w, r)
	if !ok {
		return
	}
	leaves, err := s.store.Tree(req.Partition).Leaves(req.Paths)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp := LeavesResponse{Leaves: make([][]LeafEntry, len(leaves))}
	for i, es := range leaves {
		resp.Leaves[i] = make([]LeafEntry, len(es))
		for j, e := range es {
			resp.Leaves[i][j] = LeafEntry{Key: e.Key, Version: hexHash(e.Version)}
		}
	}
	writeJSON(w, resp)
}

func (s *Service) handleEntries(w http.ResponseWriter, r *http.Request) {
	var req EntriesRequest
	if !s.decode(w, r, &req) {
		return
	}
	if _, ok := s.partitionOK(req.Partition); !ok || len(req.Keys) == 0 || len(req.Keys) > s.cfg.MaxBatch {
		http.Error(w, "bad partition or keys", http.StatusBadRequest)
		return
	}
	es, err := s.store.Entries(req.Partition, req.Keys)
	if err != nil {
		http.Error(w, "store failed", http.StatusInternalServerError)
		return
	}
	// Stop at half the body bound (base64 grows values by a third), so the
	// answer always fits; the caller gets the rest in its next round.
	budget, n := s.cfg.MaxBodyBytes/2, 0
	for n < len(es) && (n == 0 || budget >= envelopeCost(es[n])) {
		budget -= envelopeCost(es[n])
		n++
	}
	writeJSON(w, EntriesResponse{Entries: es[:n]})
}
