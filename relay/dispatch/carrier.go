package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
)

// carrier is one SMSC: its binds (one smpp.Session each), the queue of
// messages routed to it, and how it wants them encoded.
type carrier struct {
	name     string
	account  string      // the SMSC login its receipts, bind slots and account_tps are counted by
	pool     accountPool // what the carrier shares with the other carriers of its account
	cfg      CarrierConfig
	sessions []*smpp.Session // the binds, without a quota shared with other relays
	quota    *quota          // the account's binds shared with other relays; nil without
	addr     string
	deliver  smpp.DeliverBatchHandler
	log      *slog.Logger
	set      *metrics.Set
	q        *fifo
	dc       coding.DataCoding
	loc      *time.Location
	drained  atomic.Bool // out of routing by an operator (Dispatcher.Drain)
	retired  atomic.Bool // replaced or removed by Reconfigure: takes nothing more
	subject  pdu.Tag     // the TLV an LMS subject goes in; 0: the carrier takes none
	m        *carrierMetrics

	// given is the carrier's table as configured, and password the one it
	// resolved to: Reconfigure keeps the carrier while both are the same.
	given    CarrierConfig
	password string

	// stop ends the carrier's workers (Dispatcher.Stop, or its
	// retirement); workers counts them.
	stop       context.Context
	stopTaking context.CancelFunc
	workers    sync.WaitGroup
}

// deliverWorkers is how many deliver_sm workers a bind runs.
const deliverWorkers = 4

// accountPool is what the carriers of one account share on this relay.
type accountPool struct {
	// binds is the binds all of them keep, when they keep a fixed number
	// (no slots): account_tps is split over them.
	binds int
	// local: their max_binds is shared through this relay's own slots
	// (localSlots), with no cluster to lease them from.
	local bool
}

func newCarrier(cc CarrierConfig, addr, password string, slots BindSlots, pool accountPool,
	onDeliver func(*carrier) smpp.DeliverBatchHandler, log *slog.Logger, set *metrics.Set) (*carrier, error) {
	loc, err := time.LoadLocation(cc.TimeZone)
	if err != nil {
		return nil, err
	}
	subject, err := cc.SubjectTag()
	if err != nil {
		return nil, err
	}
	c := &carrier{
		name:     cc.Name,
		account:  cc.AccountName(),
		pool:     pool,
		cfg:      cc,
		q:        newFIFO(),
		dc:       coding.EUCKR,
		loc:      loc,
		subject:  subject,
		m:        newCarrierMetrics(set, cc.Name),
		addr:     addr,
		password: password,
		log:      log,
		set:      set,
	}
	if cc.DataCoding == "ucs2" {
		c.dc = coding.UCS2
	}
	c.deliver = onDeliver(c) // built before any bind can deliver
	if cc.MaxBinds > 0 && slots != nil {
		// The cluster's nodes, or this relay's carriers of the account,
		// share the account's binds: each is bound once a slot is held
		// (quota.go), after Start.
		c.quota = &quota{slots: slots}
		return c, nil
	}
	binds := cc.Binds
	if cc.MaxBinds > 0 {
		binds = min(binds, cc.MaxBinds)
	}
	for i := range binds {
		s, err := c.dial(i, c.share(max(binds, pool.binds)))
		if err != nil {
			c.close(context.Background())
			return nil, err
		}
		c.sessions = append(c.sessions, s)
	}
	return c, nil
}

// share is one bind's submit rate when binds are bound to the account:
// tps, and at most an equal part of account_tps; 0 is unlimited.
func (c *carrier) share(binds int) float64 {
	tps := c.cfg.TPS
	if c.cfg.AccountTPS > 0 {
		part := c.cfg.AccountTPS / float64(max(binds, 1))
		if tps == 0 || part < tps {
			tps = part
		}
	}
	return tps
}

// dial starts the carrier's bind number i (from 0) at the given rate.
func (c *carrier) dial(i int, tps float64) (*smpp.Session, error) {
	cc := &c.cfg
	mode := smpp.BindTransceiver
	if cc.Mode == "transmitter+receiver" {
		mode = smpp.BindTxRx
	}
	s, err := smpp.Dial(smpp.Config{
		Addr:                c.addr,
		SystemID:            cc.SystemID,
		Password:            c.password,
		SystemType:          cc.SystemType,
		Mode:                mode,
		Window:              cc.Window,
		ResponseTimeout:     cc.ResponseTimeout,
		EnquireLinkInterval: cc.EnquireLinkInterval,
		TPS:                 tps,
		FailFast:            true,
		// A submit written is waited for to its answer, the response
		// timeout or the bind's end (Unbind closes the binds before the
		// workers are waited for), so that what the carrier took is
		// recorded, not sent again after a restart.
		AwaitWritten:   true,
		OnDeliverBatch: c.deliver,
		// Each receipt waits for its synced store write before
		// deliver_sm_resp. A worker takes every receipt waiting and
		// makes them durable in one store write, so a few workers
		// carry a full window: while one waits for its fsync, the
		// next batch gathers in the queue for another. The queue
		// absorbs bursts (receipts of a whole window arriving at once)
		// that would otherwise be refused with ESME_RX_T_APPN and
		// depend on the SMSC delivering them again.
		HandlerWorkers: deliverWorkers,
		HandlerQueue:   16 * max(cc.Window, 64),
		Logger:         c.log,
		Metrics:        c.set,
		Carrier:        cc.Name,
		Name:           fmt.Sprintf("%s-%d", cc.Name, i+1),
	})
	if err != nil {
		return nil, fmt.Errorf("carrier %q bind %d: %w", cc.Name, i+1, err)
	}
	return s, nil
}

// binds are the carrier's sessions now: the fixed ones, or those of the
// slots it holds.
func (c *carrier) binds() []*smpp.Session {
	if c.quota != nil {
		return c.quota.sessions()
	}
	return c.sessions
}

// takes reports whether the carrier takes messages: not drained by an
// operator nor retired by a reconfiguration.
func (c *carrier) takes() bool { return !c.drained.Load() && !c.retired.Load() }

// live reports whether at least one bind is up and the carrier takes
// messages.
func (c *carrier) live() bool {
	if !c.takes() {
		return false
	}
	for _, s := range c.binds() {
		if s.Bound() {
			return true
		}
	}
	return false
}

// close unbinds every bind, within ctx; the slots of a quota are given
// back after their bind is closed.
func (c *carrier) close(ctx context.Context) {
	for _, s := range c.sessions {
		_ = s.Close(ctx)
	}
	if c.quota != nil {
		c.quota.close(ctx)
	}
}

// relativeValidity writes d, rounded down to seconds, as an SMPP relative
// time (YYMMDDhhmmss000R): the carrier gives up on the message when the
// relay would. Messages sent within the same second mostly have the same
// time left, so the last string made is kept and given again.
func relativeValidity(d time.Duration) string {
	s := max(int64(d/time.Second), 1)
	if v := lastValidity.Load(); v != nil && v.secs == s {
		return v.text
	}
	v := &validityText{secs: s, text: formatValidity(s)}
	lastValidity.Store(v)
	return v.text
}

// validityText is one relative validity and its SMPP text.
type validityText struct {
	secs int64
	text string
}

// lastValidity is the last relativeValidity made, shared by every worker.
var lastValidity atomic.Pointer[validityText]

func formatValidity(s int64) string {
	days, s := min(s/86400, 99), s%86400
	h, s := s/3600, s%3600
	m, s := s/60, s%60
	b := [16]byte{'0', '0', '0', '0', 0, 0, 0, 0, 0, 0, 0, 0, '0', '0', '0', 'R'}
	for i, v := range [4]int64{days, h, m, s} {
		b[4+2*i], b[5+2*i] = byte('0'+v/10), byte('0'+v%10)
	}
	return string(b[:])
}

// encode fills sm for one SMS or LMS leg, encoding the text into buf (the
// worker's own, reused for every submit: Submit does not keep sm after it
// returns) and returning buf for the next one. An SMS goes in
// short_message; an LMS, up to 2,000 bytes, goes whole in message_payload,
// as one message, never split into SMS parts.
func (c *carrier) encode(m *message.Message, sm *pdu.SubmitSM, buf []byte, left time.Duration) ([]byte, error) {
	*sm = pdu.SubmitSM{
		Source:             pdu.Address{Addr: m.Sender},
		Dest:               pdu.Address{TON: 0, NPI: 1, Addr: m.Recipient},
		ValidityPeriod:     relativeValidity(left),
		RegisteredDelivery: 1, // a final receipt, success or failure
		DataCoding:         uint8(c.dc),
	}
	text, err := c.dc.AppendEncode(buf[:0], m.Text)
	if err != nil {
		return buf, err
	}
	product := m.Product
	if m.Leg > 0 {
		product = m.Billed // the fallback leg's product is recorded as billed-to-be
	}
	if product == message.ProductLMS || len(text) > pdu.MaxShortMessage {
		if err := sm.TLVs.Add(pdu.TagMessagePayload, text); err != nil {
			return text, err
		}
		if c.subject != 0 && m.Subject != "" {
			subj, err := c.dc.Encode(m.Subject)
			if err != nil {
				return text, err
			}
			if err := sm.TLVs.Add(c.subject, subj); err != nil {
				return text, err
			}
		}
		return text, nil
	}
	sm.ShortMessage = text
	return text, nil
}
