package ratelimit

import "fmt"

// Set holds the three limiters the API applies, built from one Config.
type Set struct {
	PerIP   *Limiter
	PerUser *Limiter
	Login   *Limiter
}

// NewSet validates cfg and builds its limiters.
func NewSet(cfg Config) (*Set, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}
	ip, err := NewLimiter(cfg.PerIP, cfg.MaxKeys)
	if err != nil {
		return nil, err
	}
	user, err := NewLimiter(cfg.PerUser, cfg.MaxKeys)
	if err != nil {
		return nil, err
	}
	login, err := NewLimiter(cfg.Login, cfg.MaxKeys)
	if err != nil {
		return nil, err
	}
	return &Set{PerIP: ip, PerUser: user, Login: login}, nil
}
