package smpp

import (
	"sync"
	"time"
)

// BindStatus is one bind as an operator sees it on the relay's status page.
type BindStatus struct {
	Name string `json:"name"`
	Up   bool   `json:"up"`
	// Since is when the bind last came up or went down; zero before the
	// first attempt ended.
	Since time.Time `json:"since,omitzero"`
	// Reason is why the bind is down ("" while up): the error that ended
	// its last connection or its last bind attempt, or "connecting".
	Reason string `json:"reason,omitempty"`
	// LastError is the last error the bind saw, up or down.
	LastError string `json:"last_error,omitempty"`
	// WindowUsed of Window requests are written and not yet answered.
	WindowUsed int `json:"window_used"`
	Window     int `json:"window"`
	// TPS is the ceiling in force (0: none; Session.SetTPS changes it);
	// Allowed is the rate the
	// throttle lets through now (below TPS after an ESME_RTHROTTLED).
	TPS     float64 `json:"tps_limit"`
	Allowed float64 `json:"tps_allowed"`
	// Rate is the submits written in the last whole second.
	Rate int `json:"rate"`
}

// Status describes every bind of the session.
func (s *Session) Status() []BindStatus {
	now := time.Now()
	out := make([]BindStatus, 0, len(s.binds))
	for _, b := range s.binds {
		st := BindStatus{Name: b.name, Window: cap(b.win), WindowUsed: len(b.win), TPS: b.thr.ceiling(),
			Allowed: b.thr.allowed(), Rate: b.rate.rate(now)}
		b.mu.Lock()
		st.Up, st.Since = b.mu.cur != nil, b.mu.since
		if b.mu.lastErr != nil {
			st.LastError = b.mu.lastErr.Error()
		}
		b.mu.Unlock()
		if !st.Up {
			st.Reason = st.LastError
			if st.Reason == "" {
				st.Reason = "connecting"
			}
		}
		out = append(out, st)
	}
	return out
}

// noteErr records err as the bind's last error; a down bind shows it as
// its reason.
func (b *bind) noteErr(err error, changed bool) {
	b.mu.Lock()
	b.mu.lastErr = err
	if changed {
		b.mu.since = time.Now()
	}
	b.mu.Unlock()
}

// allowed is the rate the throttle grants now; 0 when unlimited.
func (t *throttle) allowed() float64 {
	if t.lim == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return float64(t.mu.cur)
}

// meter counts events per wall-clock second and reports the last whole
// second's count.
type meter struct {
	mu        sync.Mutex
	sec       int64
	cur, prev int
}

func (m *meter) add(now time.Time) {
	m.mu.Lock()
	m.rollLocked(now.Unix())
	m.cur++
	m.mu.Unlock()
}

func (m *meter) rate(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rollLocked(now.Unix())
	return m.prev
}

func (m *meter) rollLocked(sec int64) {
	switch {
	case sec == m.sec:
	case sec == m.sec+1:
		m.sec, m.prev, m.cur = sec, m.cur, 0
	default:
		m.sec, m.prev, m.cur = sec, 0, 0
	}
}
