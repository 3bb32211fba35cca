package ops

import (
	"bufio"
	"encoding/json"
	"os"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/message"
)

// AccessHelp is the help text of the access log's metric families.
var AccessHelp = map[string]string{
	"relay_access_log_lines_total":   "Lines written to the access log, one per message that became final.",
	"relay_access_log_dropped_total": "Access log lines dropped because the writer fell behind or a write failed.",
}

// accessQueue bounds the lines waiting for the writer: the store's commit
// goroutine hands them over and must never wait.
const accessQueue = 1 << 16

// AccessLog writes one JSON line per message that became final, the
// recipient masked as operators see it (010****5678) and no text. Lines
// are written by a goroutine of their own; when it falls behind, lines are
// dropped and counted, never waited for.
type AccessLog struct {
	f       *os.File
	ch      chan *message.Message
	done    chan struct{}
	once    sync.Once
	lines   *metrics.Counter
	dropped *metrics.Counter
}

// AccessLine is one line of the access log.
type AccessLine struct {
	Time       time.Time `json:"time"` // when the message became final
	ID         string    `json:"id"`
	Customer   string    `json:"customer"`
	ClientRef  string    `json:"client_ref,omitempty"`
	Product    string    `json:"product"`
	Billed     string    `json:"billed,omitempty"`
	State      string    `json:"state"`
	Sender     string    `json:"sender,omitempty"`
	Recipient  string    `json:"recipient"` // masked
	Carrier    string    `json:"carrier,omitempty"`
	Source     string    `json:"result_source"`
	Code       string    `json:"result_code"`
	Reason     string    `json:"result_reason,omitempty"`
	Attempts   uint32    `json:"attempts"`
	AcceptedAt time.Time `json:"accepted_at"`
	Seconds    float64   `json:"seconds"` // from acceptance to the final result
}

// OpenAccessLog appends to the file at path (created 0600).
func OpenAccessLog(path string, set *metrics.Set) (*AccessLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	a := &AccessLog{f: f, ch: make(chan *message.Message, accessQueue), done: make(chan struct{}),
		lines: set.NewCounter(`relay_access_log_lines_total`), dropped: set.NewCounter(`relay_access_log_dropped_total`)}
	go a.run()
	return a, nil
}

// Record queues m's line; it never blocks. Record after Close drops.
func (a *AccessLog) Record(m *message.Message) {
	select {
	case <-a.done:
		a.dropped.Inc()
		return
	default:
	}
	select {
	case a.ch <- m:
	default:
		a.dropped.Inc()
	}
}

func (a *AccessLog) run() {
	w := bufio.NewWriter(a.f)
	enc := json.NewEncoder(w)
	for m := range a.ch {
		if err := enc.Encode(Line(m)); err != nil {
			a.dropped.Inc()
			continue
		}
		a.lines.Inc()
		if len(a.ch) == 0 {
			if err := w.Flush(); err != nil {
				a.dropped.Inc()
			}
		}
	}
	_ = w.Flush()
	close(a.done)
}

// Close writes the lines queued so far and closes the file. The store
// must be closed first: nothing may Record after Close.
func (a *AccessLog) Close() error {
	a.once.Do(func() { close(a.ch) })
	<-a.done
	return a.f.Close()
}

// Line is m's access log line.
func Line(m *message.Message) AccessLine {
	l := AccessLine{Time: m.FinalAt.UTC(), ID: m.ID.String(), Customer: m.Customer, ClientRef: m.ClientRef,
		Product: m.Product.String(), State: m.State.String(), Sender: m.Sender, Recipient: admin.MaskNumber(m.Recipient),
		Carrier: m.Carrier, Source: m.Result.Source.String(), Code: m.Result.Code, Reason: m.Result.Reason,
		Attempts: m.Attempts, AcceptedAt: m.AcceptedAt.UTC(), Seconds: m.FinalAt.Sub(m.AcceptedAt).Seconds()}
	if m.State == message.StateDelivered {
		l.Billed = m.Billed.String()
	}
	return l
}
