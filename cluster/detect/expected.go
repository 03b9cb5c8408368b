package detect

import "time"

// ExpectedDetection returns, for a node that sent heartbeats exactly every
// interval for at least MaxSampleSize intervals and then stopped, how long
// after its last heartbeat φ exceeds the threshold (suspect) and when it
// is DEAD (suspect + DeadAfter), ignoring the caller's evaluation
// interval. It documents what a configuration means in seconds.
func (c Config) ExpectedDetection(interval time.Duration) (suspect, dead time.Duration) {
	mean := ms(interval) + ms(c.AcceptableHeartbeatPause)
	std := ms(c.MinStdDeviation) // regular intervals: the minimum applies
	lo, hi := 0.0, mean+std
	for phi(hi, mean, std) <= c.Threshold {
		hi *= 2
	}
	for range 100 { // bisection to well below a microsecond
		mid := (lo + hi) / 2
		if phi(mid, mean, std) > c.Threshold {
			hi = mid
		} else {
			lo = mid
		}
	}
	suspect = time.Duration(hi * float64(time.Millisecond))
	return suspect, suspect + c.DeadAfter
}
