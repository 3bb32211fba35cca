package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/store"
)

// window bounds the reports one worker holds out of the outbox.
const window = 512

// attempt is one report on its way.
type attempt struct {
	seq   uint64
	id    string // Webhook-Id
	body  []byte
	final time.Time
	tries int
	next  time.Time
}

// worker delivers one customer's reports.
type worker struct {
	s        *Sender
	customer string
	wake     chan struct{}   // Sender.Wake's
	notify   <-chan struct{} // what the worker waits on: wake, or the hub's
	unwatch  func()

	delivered, failed, dropped *metrics.Counter

	mu struct {
		sync.Mutex
		st EndpointStatus
	}
}

func newWorker(s *Sender, id string) *worker {
	w := &worker{s: s, customer: id, wake: make(chan struct{}, 1)}
	w.wake <- struct{}{} // read the outbox once at start: it may hold reports from before
	w.notify, w.unwatch = w.wake, func() {}
	if s.opts.Watch != nil {
		w.notify, w.unwatch = s.opts.Watch(id)
	}
	label := `{customer="` + id + `"`
	w.delivered = s.set.GetOrCreateCounter(`relay_webhook_deliveries_total` + label + `,result="delivered"}`)
	w.failed = s.set.GetOrCreateCounter(`relay_webhook_deliveries_total` + label + `,result="failed"}`)
	w.dropped = s.set.GetOrCreateCounter(`relay_webhook_deliveries_total` + label + `,result="dropped"}`)
	s.set.GetOrCreateGauge(`relay_webhook_failing`+label+`}`, func() float64 {
		if w.status().Failing {
			return 1
		}
		return 0
	})
	s.set.GetOrCreateGauge(`relay_webhook_pending`+label+`}`, func() float64 { return float64(w.status().Pending) })
	w.mu.st.Customer = id
	return w
}

func (w *worker) status() EndpointStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mu.st
}

func (w *worker) run() {
	ctx := w.s.ctx
	defer w.unwatch()
	pending := map[uint64]*attempt{}
	var after uint64 // the outbox is read past this seq
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if len(pending) < window {
			reps, err := w.s.opts.Outbox.Reports(w.customer, after, window-len(pending))
			if err != nil {
				w.s.log.Warn("reading the report outbox failed", "customer", w.customer, "err", err)
			}
			now := w.s.now()
			for i := range reps {
				r := &reps[i]
				after = max(after, r.Seq)
				pending[r.Seq] = &attempt{seq: r.Seq, id: IDOf(r.ID), body: encodeReport(r), final: r.FinalAt, next: now}
			}
		}
		w.setPending(len(pending))
		if w.deliverDue(ctx, pending) {
			continue
		}
		next := time.Duration(-1)
		now := w.s.now()
		for _, a := range pending {
			if d := a.next.Sub(now); next < 0 || d < next {
				next = max(d, 0)
			}
		}
		if next < 0 {
			next = time.Hour
		}
		timer.Reset(next)
		select {
		case <-w.notify:
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
}

// deliverDue sends the reports that are due, up to Concurrency at once,
// and acknowledges the delivered ones in the outbox. It reports whether
// it sent any.
func (w *worker) deliverDue(ctx context.Context, pending map[uint64]*attempt) bool {
	now := w.s.now()
	var due []*attempt
	for _, a := range pending {
		if !a.next.After(now) {
			due = append(due, a)
		}
	}
	if len(due) == 0 || ctx.Err() != nil {
		return false
	}
	c := w.s.opts.Customers.Get(w.customer)
	if c == nil || c.ReportURL == "" {
		// No longer a webhook customer: the reports wait in the outbox.
		for _, a := range due {
			a.next = now.Add(w.s.cfg.RetryMax)
		}
		return false
	}
	url, secrets := c.ReportURL, c.WebhookSecrets()
	errs := make([]error, len(due))
	sem := make(chan struct{}, w.s.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, a := range due {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = w.post(ctx, url, secrets, a)
		}()
	}
	wg.Wait()
	now = w.s.now()
	var done []uint64
	var lastErr error
	for i, a := range due {
		switch {
		case errs[i] == nil:
			done = append(done, a.seq)
			w.delivered.Inc()
		case ctx.Err() != nil:
			// Stopping: it stays in the outbox for the next start.
		case now.Sub(a.final) >= GiveUpAfter:
			done = append(done, a.seq)
			w.dropped.Inc()
			w.s.log.Error("webhook report dropped 48 h after its final result", "customer", w.customer,
				"id", a.id, "tries", a.tries+1, "err", errs[i])
			w.noteDropped()
		default:
			lastErr = errs[i]
			w.failed.Inc()
			a.tries++
			a.next = now.Add(w.backoff(a.tries))
		}
	}
	if len(done) > 0 {
		if err := w.s.opts.Outbox.AckReports(ctx, w.customer, done...); err != nil {
			// Still in the outbox: sent again, with the same id, after a
			// restart. Until then they are retried from here.
			w.s.log.Warn("recording webhook deliveries failed", "customer", w.customer, "err", err)
			for _, seq := range done {
				pending[seq].next = now.Add(w.s.cfg.RetryMin)
			}
			done = nil
		}
		for _, seq := range done {
			delete(pending, seq)
		}
	}
	w.noteResult(url, len(due)-countErrs(errs), lastErr, now)
	return true
}

func countErrs(errs []error) int {
	n := 0
	for _, e := range errs {
		if e != nil {
			n++
		}
	}
	return n
}

// backoff is RetryMin doubled for each failed try, at most RetryMax, with
// ±20% jitter so endpoints that fail together do not retry together.
func (w *worker) backoff(tries int) time.Duration {
	d := w.s.cfg.RetryMin
	for i := 1; i < tries && d < w.s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, w.s.cfg.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// post delivers one report; any answer but 2xx is a failure.
func (w *worker) post(ctx context.Context, rawURL string, secrets []string, a *attempt) error {
	u, err := w.s.guard.checkURL(rawURL)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(a.body))
	if err != nil {
		return err
	}
	ts := w.s.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "relay-webhook/1")
	req.Header.Set(HeaderID, a.id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secrets, a.id, ts, a.body))
	resp, err := w.s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: %s answered %d", u.Redacted(), resp.StatusCode)
	}
	return nil
}

func (w *worker) setPending(n int) {
	w.mu.Lock()
	w.mu.st.Pending = n
	w.mu.Unlock()
}

func (w *worker) noteDropped() {
	w.mu.Lock()
	w.mu.st.Dropped++
	w.mu.Unlock()
}

func (w *worker) noteResult(url string, ok int, lastErr error, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := &w.mu.st
	st.URL, st.LastAttempt = url, now
	st.Delivered += uint64(ok)
	if lastErr != nil {
		st.Failing, st.LastError = true, lastErr.Error()
		st.Failures++
		return
	}
	if ok > 0 {
		st.Failing, st.Failures, st.LastSuccess = false, 0, now
	}
}

var _ Outbox = (*store.Store)(nil)
