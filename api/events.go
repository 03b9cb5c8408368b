package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/events"
)

// EventSource is the node's event bus as the SSE stream needs it.
type EventSource interface {
	SubscribeSince(after uint64, buffer int, types ...string) (*events.Subscription, []events.Event, bool, error)
}

// sseKeepAlive is how often an idle stream sends a comment, so proxies and
// clients can tell a quiet stream from a dead one.
const sseKeepAlive = 15 * time.Second

var eventTypeRE = regexp.MustCompile(`^[a-z_]{1,64}$`)

// handleEvents streams cluster events as server-sent events. ?types=a,b
// filters by type; Last-Event-ID (or ?since=) replays what the node still
// retains after that id, and an event of type "gap" says when something was
// no longer retained.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Events == nil {
		s.writeError(w, r, ds.Errorf(ds.KindUnavailable, "events_unavailable", "this node does not publish events"))
		return
	}
	var types []string
	if v := r.URL.Query().Get("types"); v != "" {
		for _, t := range strings.Split(v, ",") {
			if !eventTypeRE.MatchString(t) {
				s.writeError(w, r, ds.Errorf(ds.KindInvalid, "bad_parameter", "event type %q is not valid", truncate(t, 64)))
				return
			}
			types = append(types, t)
		}
		if len(types) > 32 {
			s.writeError(w, r, ds.Errorf(ds.KindInvalid, "bad_parameter", "at most 32 event types"))
			return
		}
	}
	since := r.Header.Get("Last-Event-ID")
	if q := r.URL.Query().Get("since"); q != "" {
		since = q
	}
	var after uint64
	if since != "" {
		n, err := strconv.ParseUint(since, 10, 64)
		if err != nil {
			s.writeError(w, r, ds.Errorf(ds.KindInvalid, "bad_parameter", "the last event id must be a whole number"))
			return
		}
		after = n
	}
	sub, replay, complete, err := s.cfg.Events.SubscribeSince(after, 256, types...)
	if err != nil {
		s.writeError(w, r, ds.Errorf(ds.KindUnavailable, "events_unavailable", "the event stream is closed"))
		return
	}
	defer sub.Close()

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if since != "" && !complete {
		fmt.Fprintf(w, "event: gap\ndata: {\"message\":\"some events after %d are no longer retained\"}\n\n", after)
	}
	p, _ := PrincipalFrom(r.Context())
	for _, ev := range replay {
		if !s.eventVisible(p, ev) {
			continue
		}
		if writeEvent(w, ev) != nil {
			return
		}
	}
	if rc.Flush() != nil {
		return
	}
	ticker := time.NewTicker(sseKeepAlive)
	defer ticker.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.Done():
			return
		case <-ticker.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-sub.Ready():
			for {
				ev, ok := sub.Next()
				if !ok {
					break
				}
				if !s.eventVisible(p, ev) {
					continue
				}
				if writeEvent(w, ev) != nil {
					return
				}
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

func writeEvent(w http.ResponseWriter, ev events.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Lamport, ev.Type, b)
	return err
}

// eventVisible hides the file events of shares the caller may not see.
func (s *Server) eventVisible(p *Principal, ev events.Event) bool {
	if ev.Type != events.TypeFileIndexed && ev.Type != events.TypeFileDeleted {
		return true
	}
	var f struct {
		Share string `json:"share"`
	}
	if json.Unmarshal(ev.Data, &f) != nil {
		return false
	}
	return s.visible(p, ds.Record{NodeID: ev.Node, Share: f.Share})
}
