package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// kakaoLeg sends the Kakao leg of messages, records Kakao's answer when it
// is a result (delivered, or 3005: on its way), and classifies the others by
// the one table in kakaobiz into a verdict for the lifecycle policy (retry
// with the same serial, fall back, fail), as the SMPP leg does with a
// carrier's status.
type kakaoLeg struct {
	cfg     KakaoConfig
	client  *kakaobiz.Client
	st      *store.Store
	policy  lifecycle
	drained *atomic.Uint64 // the dispatcher's count of legs that left the backlog
	log     *slog.Logger
	now     func() time.Time
	q       *fifo
	later   *delay

	sent, fellBack, failed, waited, retried *metrics.Counter

	flying flight // sends in flight, for the drain

	mu struct {
		sync.Mutex
		waiting map[message.ID]*message.Message // kakao-sent: polled until final
	}
}

func newKakaoLeg(cfg KakaoConfig, d *Dispatcher, opts Options) (*kakaoLeg, error) {
	k := &kakaoLeg{cfg: cfg, st: d.st, policy: d, drained: &d.drained, log: d.log, now: d.now,
		q: newFIFO(), later: newDelay(time.Now, time.Hour)}
	k.mu.waiting = map[message.ID]*message.Message{}
	secret, err := cfg.ResolveSecret()
	if err != nil {
		return nil, err
	}
	base, id, secret, err := opts.Dialer.Kakao(&cfg, cfg.ClientID, secret)
	if err != nil {
		return nil, err
	}
	k.client, err = kakaobiz.New(kakaobiz.Config{BaseURL: base, ClientID: id, ClientSecret: secret,
		Name: "kakao", MaxConns: cfg.MaxConns, RequestTimeout: cfg.RequestTimeout, Logger: d.log})
	if err != nil {
		return nil, err
	}
	set := opts.Metrics
	set.RegisterMetricsWriter(k.client.WritePrometheus)
	k.sent = set.NewCounter(`relay_kakao_results_total{result="delivered"}`)
	k.fellBack = set.NewCounter(`relay_kakao_results_total{result="fallback"}`)
	k.failed = set.NewCounter(`relay_kakao_results_total{result="failed"}`)
	k.waited = set.NewCounter(`relay_kakao_results_total{result="wait"}`)
	k.retried = set.NewCounter(`relay_kakao_results_total{result="retry"}`)
	set.NewGauge(`relay_kakao_queue_depth`, func() float64 { return float64(k.q.len() + k.later.len()) })
	set.NewGauge(`relay_kakao_awaiting_result`, func() float64 { return float64(k.awaiting()) })
	return k, nil
}

func (k *kakaoLeg) enqueue(m *message.Message) { k.q.push(m) }

// await adds a recovered kakao-sent message to the poll set.
func (k *kakaoLeg) await(m *message.Message) {
	k.mu.Lock()
	k.mu.waiting[m.ID] = m
	k.mu.Unlock()
}

// awaiting counts the messages polled for a final result.
func (k *kakaoLeg) awaiting() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.mu.waiting)
}

func (k *kakaoLeg) start(stop, sendCtx context.Context, g *sync.WaitGroup) {
	g.Go(func() { k.later.run(stop, k.q) })
	g.Go(func() { k.pollLoop(stop, sendCtx) })
	for i := 0; i < k.cfg.Workers; i++ {
		g.Go(func() {
			for {
				// Counted from before the pop: once stop has ended, a
				// worker is either in a send (drain waits for it) or gone.
				k.flying.begin()
				m, ok := k.q.pop(stop)
				if !ok {
					k.flying.end()
					return
				}
				k.send(sendCtx, m)
				k.flying.end()
			}
		})
	}
}

// drain waits, after stop, until the sends in flight have their answers
// recorded, or ctx ends: Kakao's counterpart of draining an SMPP window.
func (k *kakaoLeg) drain(ctx context.Context) { k.flying.wait(ctx) }

func (k *kakaoLeg) close() {
	k.client.Close()
}

func kakaoType(m *message.Message) kakaobiz.MessageType {
	switch m.Product {
	case message.ProductFriendTalkText:
		return kakaobiz.FriendTalk
	case message.ProductFriendTalkImage:
		return kakaobiz.FriendTalkImage
	}
	return kakaobiz.AlimTalk
}

// send calls Kakao for one message. Nothing is written before the call:
// the serial id is the message id, so a crash mid-call and a resend after
// recovery cannot make Kakao deliver or bill it twice; the leg is written
// once, with the answer that decided it.
func (k *kakaoLeg) send(ctx context.Context, m *message.Message) {
	req := &kakaobiz.Request{
		Serial: m.ID.String(), Type: kakaoType(m), SenderKey: m.Kakao.SenderKey,
		TemplateCode: m.Kakao.TemplateCode, Recipient: m.Recipient, Text: m.Text, Title: m.Subject,
		ImageURL: m.Kakao.ImageURL, Ad: m.Kakao.Ad,
	}
	if m.Kakao.Buttons != "" {
		req.Buttons = json.RawMessage(m.Kakao.Buttons)
	}
	if !k.policy.mayAttempt(ctx, m) {
		return
	}
	m.Attempts++
	res, err := k.client.Send(ctx, req)
	if err != nil && ctx.Err() != nil {
		return // cut short by the drain's end: recovery sends it again with the same serial
	}
	// An answer is recorded even if the drain ended while it came: Kakao
	// holds the message now, and may have billed it.
	k.decide(recording(), m, res, err)
}

// path is the states a message the relay last saw in from passes on its
// way to to: a leg goes through queued and its sending state (sending,
// kakao-sending) unless it is there or past it already.
func path(from, sending, to message.State) []message.State {
	switch from {
	case message.StateAccepted:
		return []message.State{message.StateQueued, sending, to}
	case message.StateQueued:
		return []message.State{sending, to}
	}
	return []message.State{to}
}

// decide acts on a Kakao result for a message, writing its new state once.
func (k *kakaoLeg) decide(ctx context.Context, m *message.Message, res kakaobiz.Result, err error) {
	result := message.Result{Source: message.SourceKakao, Code: res.Code, Reason: res.Reason}
	switch {
	case err == nil && res.Action == kakaobiz.Delivered:
		k.sent.Inc()
		now, attempts := k.now(), m.Attempts
		if err := k.st.Advance(ctx, m.ID, m.State, path(m.State, message.StateKakaoSending, message.StateDelivered), func(r *message.Message) {
			r.Result, r.FinalAt, r.Attempts = result, now, max(r.Attempts, attempts)
			if r.SentAt.IsZero() {
				r.SentAt = now
			}
		}); err != nil {
			k.policy.storeTrouble(m, "deliver", err)
			return
		}
		k.drained.Add(1)
		k.forget(m.ID)
	case err == nil && res.Action.FallsBack():
		k.fellBack.Inc()
		k.forget(m.ID)
		k.policy.settle(ctx, m, verdictFallBack, result, k.later)
	case err == nil && res.Action == kakaobiz.Fail:
		// Kakao refused the request itself (4xxx): neither Kakao nor a
		// fallback can carry it as it is.
		k.failed.Inc()
		k.forget(m.ID)
		k.policy.settle(ctx, m, verdictFail, result, k.later)
	case errors.Is(err, kakaobiz.ErrInvalidRequest):
		// Refused before sending (a field Kakao cannot take): sending it
		// again would be refused again.
		k.failed.Inc()
		k.forget(m.ID)
		k.policy.settle(ctx, m, verdictFail, message.Result{Source: message.SourceRelay, Code: "kakao-request", Reason: err.Error()}, k.later)
	case err == nil && res.Action == kakaobiz.Wait:
		// 3005: on its way, receipt unconfirmed. No fallback now (the
		// handset could get both); poll until final or the window ends.
		k.waited.Inc()
		if m.State != message.StateKakaoSent {
			now, serial, attempts := k.now(), m.ID.String(), m.Attempts
			if err := k.st.Advance(ctx, m.ID, m.State, path(m.State, message.StateKakaoSending, message.StateKakaoSent), func(r *message.Message) {
				r.Carrier, r.CarrierMsgID, r.SentAt, r.Attempts = "kakao", serial, now, max(r.Attempts, attempts)
			}); err != nil {
				k.policy.storeTrouble(m, "record kakao-sent", err)
				return
			}
			k.drained.Add(1)
			m.State = message.StateKakaoSent
		}
		k.await(m)
	default:
		// Transient (timeouts, 5xx, 429 past the client's own retries):
		// the same serial goes again later, so Kakao cannot bill it twice.
		// Nothing is written: the store still has the state it had.
		k.retried.Inc()
		if m.State == message.StateKakaoSent {
			return // still polled
		}
		// The one policy: retried with the same serial while the leg has
		// attempts and time left; after a long outage, the fallback (or the
		// failure) is the message's result, not the expiry.
		k.policy.settle(ctx, m, verdictRetry, transient(res, err), k.later)
	}
}

// transient is the result a Kakao transient failure leaves behind.
func transient(res kakaobiz.Result, err error) message.Result {
	r := message.Result{Source: message.SourceKakao, Code: res.Code, Reason: res.Reason}
	if err != nil {
		r.Code, r.Reason = "unavailable", err.Error()
	}
	return r
}

func (k *kakaoLeg) forget(id message.ID) {
	k.mu.Lock()
	delete(k.mu.waiting, id)
	k.mu.Unlock()
}

// pollLoop looks up kakao-sent messages until their result is final. The
// 48-hour expiry closes those that never get one.
func (k *kakaoLeg) pollLoop(stop, ctx context.Context) {
	t := time.NewTicker(k.cfg.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-stop.Done():
			return
		case <-t.C:
			k.PollNow(ctx)
		}
	}
}

// PollNow looks every waiting message up once.
func (k *kakaoLeg) PollNow(ctx context.Context) {
	k.mu.Lock()
	ms := make([]*message.Message, 0, len(k.mu.waiting))
	for _, m := range k.mu.waiting {
		ms = append(ms, m)
	}
	k.mu.Unlock()
	for _, m := range ms {
		if ctx.Err() != nil {
			return
		}
		cur, err := k.st.Get(m.ID)
		if err != nil || cur.State != message.StateKakaoSent {
			k.forget(m.ID) // expired or decided meanwhile
			continue
		}
		res, err := k.client.Lookup(ctx, m.ID.String())
		if err != nil {
			continue // ask again next round
		}
		if res.Action == kakaobiz.Wait || res.Action == kakaobiz.Retry {
			continue
		}
		k.decide(ctx, m, res, nil)
	}
}
