package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The bind lease bucket. Part of the cluster's format: every node of a
// cluster must agree on it. Its keys, the account being the [[carrier]]
// account (the carrier's name unless it gives one) in unpadded base64url
// (a name may hold any character; a key may not):
//
//	s.<account>.<slot>   one bind slot, 0 … max_binds−1; the value is
//	                     the holding node's name
//	w.<account>.<node>   the node holds no slot of the account and
//	                     waits for one; the value is its name
const leaseBucket = "RELAY_BIND_LEASES"

// ErrClosed is returned by AcquireBind once the node is closing.
var ErrClosed = errors.New("cluster: node closed")

// leases are the bind slots this node holds, and every node's as the
// bucket last showed them.
//
// A slot is held by the revision this node last wrote to its key. The
// bucket's TTL removes a key not written for bind_lease_ttl. Each held
// slot has a goroutine of its own that writes its key again every sixth
// of the TTL, on its revision, so that no renewal waits behind another's
// or behind other work (keep). The hold ends half a TTL after the first
// write sent since the last acknowledged one was sent, by this node's
// clock: the bucket keeps the key at least a TTL after any such write
// arrived, so the holder unbinds before any other node can take the slot,
// however late the answers come. A write not answered in a quarter of the
// TTL is sent again until the hold ends. A write refused because the
// revision moved is either one of this node's own, taken by the bucket
// but answered too late (the key names this node on a later revision:
// the slot is still its own, at that revision), or another node's: the
// slot is lost.
//
// Fairness: a node that holds no slot of an account and waits for one
// says so (its w. key, written again while it waits). While such a node
// waits, no node that holds a slot of the account takes another, and the
// node holding the most (by name on a tie) gives one back, unbinding it
// first, as long as it holds more than one. A node restarted after a
// crash thus gets a bind even when the others took every slot meanwhile.
type leases struct {
	n   *Node
	ttl time.Duration

	wanted     chan struct{} // closed by the first AcquireBind: a carrier has max_binds
	wantedOnce sync.Once
	ready      chan struct{} // closed once the bucket is set up
	kv         jetstream.KeyValue
	wrap       func(jetstream.KeyValue) jetstream.KeyValue // for tests: how the bucket is reached

	mu struct {
		sync.Mutex
		held    map[string]*lease // by key: the slots this node holds
		seen    map[string]string // by key: every slot and want, as the bucket last read
		changed chan struct{}     // closed and replaced when a slot is freed
	}
	m leaseMetrics
}

type leaseMetrics struct {
	taken, lost, yielded, renewErrors *metrics.Counter
}

// lease is one slot this node holds.
type lease struct {
	key      string
	yielding bool // given back for a waiting node; released once unbound
	rev      uint64
	ctx      context.Context // ends when the holder must unbind
	lose     context.CancelFunc
	mine     context.Context // ends once the slot is no longer this node's (lost or released)
	drop     context.CancelFunc
	timer    *time.Timer // ends the hold half a TTL after the first write since the last acknowledged one was sent
	account  string
}

func newLeases(n *Node, set *metrics.Set) *leases {
	l := &leases{n: n, ttl: n.cfg.BindLeaseTTL, ready: make(chan struct{}), wanted: make(chan struct{})}
	l.m = leaseMetrics{
		taken:       set.NewCounter(`relay_cluster_bind_slots_taken_total`),
		lost:        set.NewCounter(`relay_cluster_bind_slots_lost_total`),
		yielded:     set.NewCounter(`relay_cluster_bind_slots_given_back_total`),
		renewErrors: set.NewCounter(`relay_cluster_bind_slot_renew_errors_total`),
	}
	set.NewGauge(`relay_cluster_bind_slots_held`, func() float64 {
		l.mu.Lock()
		defer l.mu.Unlock()
		return float64(len(l.mu.held))
	})
	l.mu.held = map[string]*lease{}
	l.mu.seen = map[string]string{}
	l.mu.changed = make(chan struct{})
	return l
}

func leaseKey(account string, slot int) string {
	return slotPrefix(account) + strconv.Itoa(slot)
}

func slotPrefix(account string) string {
	return "s." + base64.RawURLEncoding.EncodeToString([]byte(account)) + "."
}

func wantKey(account, node string) string {
	return wantPrefix(account) + node
}

func wantPrefix(account string) string {
	return "w." + base64.RawURLEncoding.EncodeToString([]byte(account)) + "."
}

// run sets the bucket up (retrying until the cluster has a quorum),
// reads it and renews the held slots until the node closes. It waits
// for the first AcquireBind or BindsHeld: a node none of whose carriers
// has max_binds never touches the bucket.
func (l *leases) run() {
	select {
	case <-l.wanted:
	case <-l.n.stop:
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.n.wg.Go(func() {
		select {
		case <-l.n.stop:
		case <-ctx.Done():
		}
		cancel()
	})
	pause := 100 * time.Millisecond
	for {
		kv, err := l.setup(ctx)
		if err == nil {
			if l.wrap != nil {
				kv = l.wrap(kv)
			}
			l.kv = kv
			close(l.ready)
			break
		}
		l.n.log.Debug("cluster: bind lease bucket not ready yet", "err", err)
		select {
		case <-l.n.stop:
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
	l.n.wg.Go(func() { l.look(ctx) })
	t := time.NewTicker(l.ttl / 6)
	defer t.Stop()
	for {
		select {
		case <-l.n.stop:
			return
		case <-t.C:
			l.yield()
		}
	}
}

func (l *leases) setup(ctx context.Context) (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return l.n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      leaseBucket,
		Description: "carrier bind slots: one key per slot of an account, held by the node named in it",
		History:     1,
		TTL:         l.ttl,
		Replicas:    l.n.cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
}

// look reads the whole bucket every sixth of the TTL into seen, every
// slot of every account held by any node, until ctx ends.
func (l *leases) look(ctx context.Context) {
	t := time.NewTicker(l.ttl / 6)
	defer t.Stop()
	for {
		if err := l.lookOnce(ctx); err != nil && ctx.Err() == nil {
			l.n.log.Debug("cluster: bind lease bucket not read", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// leaseSubjects is where the bucket's keys are written: its subject
// prefix, and the filter of them all.
const (
	leaseSubjectPrefix = "$KV." + leaseBucket + "."
	leaseSubjects      = leaseSubjectPrefix + ">"
)

// lookOnce reads every key of the bucket with one request: a direct get
// of each key's last value (multi_last), answered by any server that
// holds the bucket, one message a key then an end-of-batch status. A
// watcher would make a consumer at each read (a proposal to the
// cluster's meta leader, and another to delete it), or, kept open, stop
// at the loss of the server that hosts it. A replica that lags shows an
// older state for a moment; the bucket itself decides who takes a slot.
func (l *leases) lookOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	inbox := l.n.nc.NewInbox()
	sub, err := l.n.nc.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	req, _ := json.Marshal(struct {
		MultiLast []string `json:"multi_last"`
	}{[]string{leaseSubjects}})
	if err := l.n.nc.PublishRequest("$JS.API.DIRECT.GET.KV_"+leaseBucket, inbox, req); err != nil {
		return err
	}
	fresh := map[string]string{}
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return err
		}
		switch status := m.Header.Get("Status"); status {
		case "":
			switch m.Header.Get("KV-Operation") {
			case "DEL", "PURGE": // given back: free
			default:
				fresh[strings.TrimPrefix(m.Header.Get("Nats-Subject"), leaseSubjectPrefix)] = string(m.Data)
			}
			continue
		case "204", "404": // the end of the keys; none at all
		default:
			return fmt.Errorf("cluster: read of %s answered %s %s", leaseBucket, status, m.Header.Get("Description"))
		}
		break
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	freed := false
	for key := range l.mu.seen {
		if _, ok := fresh[key]; !ok {
			freed = true
		}
	}
	for key := range l.mu.held {
		fresh[key] = l.n.cfg.Node
	}
	l.mu.seen = fresh
	if freed {
		l.freedLocked()
	}
	return nil
}

// freedLocked wakes the acquirers waiting for a free slot.
func (l *leases) freedLocked() {
	close(l.mu.changed)
	l.mu.changed = make(chan struct{})
}

// keep renews s every sixth of the TTL, from the send of the last round's
// first write, until s is lost or released or the node closes (a slot
// given back is renewed until its bind is down and it is released).
// first is when the write that took the slot was sent.
func (l *leases) keep(s *lease, first time.Time) {
	every := l.ttl / 6
	connected := l.n.nc.StatusChanged(nats.CONNECTED)
	defer l.n.nc.RemoveStatusListener(connected)
	next := first.Add(every)
	for {
		t := time.NewTimer(time.Until(next))
		select {
		case <-t.C:
		case <-s.mine.Done():
			t.Stop()
			return
		case <-l.n.stop:
			t.Stop()
			return
		}
		round := time.Now()
		for !l.renew(s, round, connected) {
			// Not answered, or the bucket could not be asked: at once
			// again, unless it failed at once.
			if time.Since(round) < every/4 {
				t := time.NewTimer(every / 4)
				select {
				case <-t.C:
				case <-s.mine.Done():
				case <-l.n.stop:
				}
				t.Stop()
			}
		}
		next = round.Add(every)
	}
}

// renew writes s's key again on its revision, and reports whether the
// bucket acknowledged it (the hold then ends half a TTL after round, the
// send of this round's first write) or the slot is lost. false: no
// answer within a quarter of the TTL, or the connection came back
// meanwhile; ask again.
//
// A write sent on a connection that died is never answered. connected
// says when the client is connected again (to the same server or
// another): the write is then sent again at once, not after the rest of
// the quarter TTL, which would leave a single try at most before the
// hold ends while a stream elects a new leader.
func (l *leases) renew(s *lease, round time.Time, connected <-chan nats.Status) (done bool) {
	ctx, cancel := context.WithTimeout(s.mine, l.ttl/4)
	defer cancel()
	for len(connected) > 0 { // a reconnection before this write: nothing to send again
		<-connected
	}
	answered := make(chan struct{})
	defer close(answered)
	go func() {
		select {
		case <-connected:
			cancel()
		case <-answered:
		}
	}()
	rev, err := l.kv.Update(ctx, s.key, []byte(l.n.cfg.Node), s.rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		// This node's own write, answered too late, or another node's?
		var e jetstream.KeyValueEntry
		e, err = l.kv.Get(ctx, s.key)
		switch {
		case err == nil && string(e.Value()) == l.n.cfg.Node && e.Revision() > s.rev:
			rev = e.Revision() // sent in this round: no earlier than round
		case err == nil:
			err = fmt.Errorf("%w: %s holds it at revision %d", jetstream.ErrKeyRevisionMismatch, e.Value(), e.Revision())
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.held[s.key] != s { // given up or released meanwhile
		return true
	}
	switch {
	case err == nil:
		s.rev = rev
		if !s.yielding { // a slot given back is being unbound: kept until released
			s.timer.Reset(time.Until(round.Add(l.ttl / 2)))
		}
		return true
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound),
		errors.Is(err, jetstream.ErrKeyDeleted):
		// The key expired and another node may hold the slot now.
		l.loseLocked(s, err)
		return true
	default:
		// No answer: ask again until the timer ends the hold.
		l.m.renewErrors.Inc()
		return false
	}
}

// yield gives a slot back, for each account a node without any waits
// for, if this node is the one holding the most (by name on a tie) and
// holds more than one. The slot's holder unbinds it, then releases it.
func (l *leases) yield() {
	l.mu.Lock()
	defer l.mu.Unlock()
	accounts := map[string]bool{}
	for _, s := range l.mu.held {
		accounts[s.account] = true
	}
	for account := range accounts {
		if len(l.waitingLocked(account)) == 0 {
			continue
		}
		count := map[string]int{}
		for key, node := range l.mu.seen {
			if strings.HasPrefix(key, slotPrefix(account)) {
				count[node]++
			}
		}
		var mine []*lease
		for _, s := range l.mu.held {
			if s.account == account && !s.yielding {
				mine = append(mine, s)
			}
		}
		count[l.n.cfg.Node] = len(mine)
		top := ""
		for node, c := range count {
			if top == "" || c > count[top] || (c == count[top] && node > top) {
				top = node
			}
		}
		if top != l.n.cfg.Node || len(mine) < 2 {
			continue
		}
		s := mine[0]
		s.yielding = true
		s.timer.Stop()
		s.lose()
		l.m.yielded.Inc()
		l.n.log.Info("cluster: bind slot given back for a node that holds none", "account", account, "key", s.key)
	}
}

// waitingLocked are the other nodes waiting for a first slot of the
// account.
func (l *leases) waitingLocked(account string) []string {
	var out []string
	prefix := wantPrefix(account)
	for key, node := range l.mu.seen {
		if strings.HasPrefix(key, prefix) && node != l.n.cfg.Node {
			out = append(out, node)
		}
	}
	return out
}

// holdsLocked counts this node's slots of the account.
func (l *leases) holdsLocked(account string) int {
	n := 0
	for _, s := range l.mu.held {
		if s.account == account {
			n++
		}
	}
	return n
}

// loseLocked gives up a slot this node can no longer prove it holds.
func (l *leases) loseLocked(s *lease, why error) {
	if l.mu.held[s.key] != s {
		return
	}
	delete(l.mu.held, s.key)
	s.timer.Stop()
	s.lose()
	s.drop()
	l.m.lost.Inc()
	l.n.log.Warn("cluster: bind slot lost; unbinding it", "account", s.account, "key", s.key, "err", why)
}

// AcquireBind blocks until this node holds one of the max bind slots of
// the carrier account, or ctx ends, or the node closes. The returned
// context ends when the slot is lost (it could not be renewed in time, or
// another node holds it now): the caller must then unbind at once.
// release gives the slot back; call it after unbinding.
func (n *Node) AcquireBind(ctx context.Context, account string, max int) (held context.Context, release func(), err error) {
	l := n.leases
	l.wantedOnce.Do(func() { close(l.wanted) })
	select {
	case <-l.ready:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-n.stop:
		return nil, nil, ErrClosed
	}
	poll := min(l.ttl/4, time.Second)
	wanted := false
	defer func() {
		if wanted {
			l.unwant(account)
		}
	}()
	for round := 0; ; round++ {
		l.mu.Lock()
		changed := l.mu.changed
		none := l.holdsLocked(account) == 0
		yieldTo := !none && len(l.waitingLocked(account)) > 0
		l.mu.Unlock()
		if none && (!wanted || round%2 == 0) {
			wanted = l.want(ctx, account) || wanted // written again while waiting: the TTL would remove it
		}
		// The last read of the bucket spares a request per slot it shows taken;
		// every fourth round asks for them all, should it lag.
		trust := round%4 != 0
		for slot := range max {
			if yieldTo {
				break // a node without a slot goes first
			}
			s, err := l.tryCreate(ctx, account, slot, trust)
			if err != nil {
				return nil, nil, err
			}
			if s != nil {
				return s.ctx, func() { l.release(s) }, nil
			}
		}
		t := time.NewTimer(poll)
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-n.stop:
			t.Stop()
			return nil, nil, ErrClosed
		}
		t.Stop()
	}
}

// want writes the node's w. key for the account: it waits for a first
// slot. It reports whether the bucket took it.
func (l *leases) want(ctx context.Context, account string) bool {
	ctx, cancel := context.WithTimeout(ctx, l.ttl/6)
	defer cancel()
	_, err := l.kv.Put(ctx, wantKey(account, l.n.cfg.Node), []byte(l.n.cfg.Node))
	return err == nil
}

// unwant deletes the node's w. key for the account, once it holds a slot
// or stops waiting; left behind, it expires.
func (l *leases) unwant(account string) {
	ctx, cancel := context.WithTimeout(context.Background(), l.ttl/6)
	defer cancel()
	_ = l.kv.Delete(ctx, wantKey(account, l.n.cfg.Node))
}

// tryCreate takes the slot if its key does not exist; nil if another
// node (or this one) holds it or the bucket did not answer. With trust,
// a slot the last read shows taken is not asked for.
func (l *leases) tryCreate(ctx context.Context, account string, slot int, trust bool) (*lease, error) {
	key := leaseKey(account, slot)
	l.mu.Lock()
	_, mine := l.mu.held[key]
	_, taken := l.mu.seen[key]
	l.mu.Unlock()
	if mine || (taken && trust) {
		return nil, nil
	}
	sent := time.Now()
	cctx, cancel := context.WithTimeout(ctx, l.ttl/6)
	rev, err := l.kv.Create(cctx, key, []byte(l.n.cfg.Node))
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, nil // taken, or no answer: try again later
	}
	s := &lease{key: key, rev: rev, account: account}
	s.ctx, s.lose = context.WithCancel(context.Background())
	s.mine, s.drop = context.WithCancel(context.Background())
	l.mu.Lock()
	defer l.mu.Unlock()
	s.timer = time.AfterFunc(time.Until(sent.Add(l.ttl/2)), func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.loseLocked(s, errors.New("not renewed within half the lease TTL"))
	})
	l.mu.held[key] = s
	l.mu.seen[key] = l.n.cfg.Node
	l.m.taken.Inc()
	l.n.wg.Go(func() { l.keep(s, sent) })
	return s, nil
}

// release gives a held slot back: its key is deleted, if it is still this
// node's revision, so another node may take it at once.
func (l *leases) release(s *lease) {
	l.mu.Lock()
	mine, rev := l.mu.held[s.key] == s, s.rev
	if mine {
		delete(l.mu.held, s.key)
		s.timer.Stop()
	}
	l.mu.Unlock()
	s.lose()
	s.drop()
	if !mine {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.ttl/6)
	defer cancel()
	if err := l.kv.Delete(ctx, s.key, jetstream.LastRevision(rev)); err != nil {
		l.n.log.Debug("cluster: bind slot not deleted; it expires", "key", s.key, "err", err)
	}
}

// BindsHeld is how many bind slots of the carrier account the cluster
// holds, as this node last saw them (the slots it holds itself always
// counted).
func (n *Node) BindsHeld(account string) int {
	l := n.leases
	l.wantedOnce.Do(func() { close(l.wanted) })
	prefix := slotPrefix(account)
	l.mu.Lock()
	defer l.mu.Unlock()
	count := 0
	for key := range l.mu.seen {
		if strings.HasPrefix(key, prefix) {
			count++
		}
	}
	for key := range l.mu.held {
		if _, ok := l.mu.seen[key]; !ok && strings.HasPrefix(key, prefix) {
			count++
		}
	}
	return count
}
