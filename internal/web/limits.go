package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters are per-address token buckets for forms that send mail or cost
// work (contact links, password reset, the e-mail-a-friend tool, subscribe).
// They live in memory, per instance: they blunt floods; the durable limits
// that matter across instances (sign-in throttling, daily caps) are in the
// database.
type limiters struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	rules   map[string]rule
	lastGC  time.Time
}

type rule struct {
	every time.Duration
	burst int
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters() *limiters {
	return &limiters{
		buckets: map[string]*bucket{},
		rules: map[string]rule{
			"contact":      {every: 2 * time.Second, burst: 20},
			"donate":       {every: 6 * time.Second, burst: 10},
			"forgot":       {every: time.Minute, burst: 5},
			"forgot-email": {every: 10 * time.Minute, burst: 3},
			"login":        {every: time.Second, burst: 20},
		},
	}
}

// setRule adds or replaces a named limit (handler groups register their own).
func (l *limiters) setRule(name string, every time.Duration, burst int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rules[name] = rule{every: every, burst: burst}
}

// allow reports whether key may act under the named rule now.
func (l *limiters) allow(name, key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.lastGC) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Hour {
				delete(l.buckets, k)
			}
		}
		l.lastGC = now
	}
	r, ok := l.rules[name]
	if !ok {
		return true
	}
	k := name + "\x00" + key
	b, ok := l.buckets[k]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(r.every), r.burst)}
		l.buckets[k] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
