package dispatch

import (
	"context"
	"slices"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp"
)

// Status is the dispatcher as an operator sees it on the status page.
type Status struct {
	// Queue is every message waiting in memory for a carrier (to route,
	// in a backoff, unroutable, or in a carrier's queue).
	Queue int `json:"queue"`
	// Unroutable messages wait because no carrier of their rule is live.
	Unroutable int             `json:"unroutable"`
	Carriers   []CarrierStatus `json:"carriers"`
	Kakao      *KakaoStatus    `json:"kakao,omitempty"` // nil without a Kakao channel
}

// CarrierStatus is one carrier.
type CarrierStatus struct {
	Name    string            `json:"name"`
	Live    bool              `json:"live"`    // in routing with a bind up
	Drained bool              `json:"drained"` // taken out of routing by an operator
	Queue   int               `json:"queue"`   // routed here, not yet submitted
	Binds   []smpp.BindStatus `json:"binds"`
}

// KakaoStatus is the Kakao channel.
type KakaoStatus struct {
	kakaobiz.Status
	Queue    int `json:"queue"`    // waiting to be sent or retried
	Awaiting int `json:"awaiting"` // 3005s looked up until final
}

// Status reports the queues, every carrier's binds and the Kakao client.
func (d *Dispatcher) Status() Status {
	st := Status{Queue: d.depth()}
	d.mu.Lock()
	st.Unroutable = len(d.mu.unroutable)
	d.mu.Unlock()
	f := d.fleet.Load()
	for _, name := range f.names {
		c := f.byName[name]
		cs := CarrierStatus{Name: name, Live: c.live(), Drained: c.drained.Load(), Queue: c.q.len()}
		for _, s := range c.binds() {
			cs.Binds = append(cs.Binds, s.Status()...)
		}
		st.Carriers = append(st.Carriers, cs)
	}
	if k := d.kakao; k != nil {
		st.Kakao = &KakaoStatus{Status: k.client.Status(), Queue: k.q.len() + k.later.len(), Awaiting: k.awaiting()}
	}
	return st
}

// Path is one product some route (or the Kakao channel) serves, and the
// ways it can leave the relay now.
type Path struct {
	Product string   `json:"product"`
	Live    []string `json:"live"` // carriers with a bind up, or "kakao" with a valid token
	Down    []string `json:"down"` // carriers (or "kakao") that could serve it and cannot now
}

// Paths reports, for every product a route or the Kakao channel serves,
// its live and down paths. A product with no live path cannot leave the
// relay; a down path beside a live one is a warning. The Kakao channel is
// live when its client holds a valid token: Paths fetches one (bounded by
// ctx) when it holds none.
func (d *Dispatcher) Paths(ctx context.Context) []Path {
	var out []Path
	f := d.fleet.Load()
	serves := f.router.Serves()
	for _, p := range message.Products {
		names, ok := serves[p]
		if !ok {
			continue
		}
		path := Path{Product: p.String(), Live: []string{}, Down: []string{}}
		for _, n := range names {
			if f.live(n) {
				path.Live = append(path.Live, n)
			} else {
				path.Down = append(path.Down, n)
			}
		}
		out = append(out, path)
	}
	if d.kakao == nil {
		return out
	}
	kakaoLive := d.kakao.client.EnsureToken(ctx) == nil
	for _, p := range message.Products {
		if !p.Kakao() {
			continue
		}
		path := Path{Product: p.String(), Live: []string{}, Down: []string{}}
		if kakaoLive {
			path.Live = append(path.Live, "kakao")
		} else {
			path.Down = append(path.Down, "kakao")
		}
		out = append(out, path)
	}
	return slices.Clip(out)
}
