// Package telemetry receives sensor frames from the wind tunnel rig and keeps
// the latest value of every channel.
package telemetry

import (
	"net/http"
	"sync"
)

// ChannelStore keeps the latest reading per channel. A sync.Mutex guards the map.
type ChannelStore struct {
	mu       sync.Mutex
	readings map[string]float64
}

// HTTPServer serves readings as JSON.
type HTTPServer struct {
	store *ChannelStore
}

func (s *ChannelStore) Put(channel string, value float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readings == nil {
		s.readings = make(map[string]float64)
	}
	s.readings[channel] = value
}

func (h *HTTPServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
}
