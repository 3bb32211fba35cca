// Command smscsim runs the simulated SMSC of smpp/smpptest as a process,
// for the bench harness and manual tests. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func main() {
	var (
		cfg      smpptest.Config
		b        = &cfg.Behavior
		addr     = flag.String("addr", "127.0.0.1:2775", "listen address")
		users    = flag.String("users", "", "id:password,… allowed to bind (empty: anyone)")
		receipts = flag.String("receipts", "both", "receipt format: both, tlv, text or none")
		subject  = flag.String("subject-tag", "0x1500", "TLV tag an LMS subject is read from, or none; submits with one are counted")
		qfull    = flag.Bool("busy-qfull", false, "answer busy bursts with ESME_RMSGQFUL instead of ESME_RTHROTTLED")
		verbose  = flag.Bool("v", false, "debug logging")
	)
	flag.IntVar(&cfg.MaxBinds, "max-binds", 0, "bound sockets per system_id (0: no cap); more get ESME_RALYBND")
	flag.IntVar(&cfg.IDBase, "id-base", 16, "message id base: 16 or 10")
	flag.IntVar(&cfg.IDWidth, "id-width", 0, "zero-pad message ids to this many digits")
	flag.BoolVar(&cfg.IDUpper, "id-upper", false, "upper-case hex message ids")
	flag.Uint64Var(&cfg.IDStart, "id-start", 1, "number of the first message id")
	flag.BoolVar(&cfg.ReceiptOtherBase, "receipt-other-base", false, "write receipt ids in the other base")
	flag.DurationVar(&cfg.ReceiptDelay, "receipt-delay", 0, "delay between submit_sm_resp and receipt")
	flag.DurationVar(&cfg.RedeliverDelay, "redeliver-delay", 0, "resend a refused receipt after this long (0: 1s)")
	flag.IntVar(&cfg.MaxRedeliveries, "max-redeliveries", 0, "times a refused receipt is resent (0: 3, negative: never)")
	flag.Float64Var(&cfg.FailRatio, "fail-ratio", 0, "share of receipts that report UNDELIV (0..1)")
	flag.IntVar(&cfg.TPS, "tps", 0, "submit_sm per second per socket before ESME_RTHROTTLED (0: no cap)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the failure mix")
	flag.DurationVar(&b.RespDelay, "resp-delay", 0, "answer every submit_sm this late")
	flag.IntVar(&b.DropEvery, "drop-every", 0, "withhold every Nth submit_sm_resp")
	flag.IntVar(&b.NackEvery, "nack-every", 0, "answer every Nth submit_sm with generic_nack")
	flag.IntVar(&b.BusyEvery, "busy-every", 0, "after every N submits, refuse -busy-burst of them")
	flag.IntVar(&b.BusyBurst, "busy-burst", 0, "length of each busy burst")
	flag.IntVar(&b.CloseAfter, "close-after", 0, "close each socket at its Nth submit_sm")
	flag.IntVar(&b.ResetAfter, "reset-after", 0, "reset (RST) each socket at its Nth submit_sm")
	flag.IntVar(&b.HalfOpenAfter, "half-open-after", 0, "stop answering anything from the Nth submit_sm")
	flag.BoolVar(&b.DuplicateReceipts, "dup-receipts", false, "send every receipt twice")
	flag.BoolVar(&b.ReceiptBeforeResp, "receipt-before-resp", false, "send the receipt before submit_sm_resp")
	flag.DurationVar(&b.EnquireLinkEvery, "enquire-every", 0, "send the SMSC's own enquire_link this often")
	flag.IntVar(&b.UnbindAfter, "unbind-after", 0, "send unbind after the Nth submit_sm")
	flag.BoolVar(&b.ReceiptsElsewhere, "receipts-elsewhere", false, "send receipts on another bind of the same system_id, of another ESME (host, system_type) when there is one")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	var err error
	if cfg.Users, err = smpptest.ParseUsers(*users); err == nil {
		cfg.Receipts, err = smpptest.ParseReceiptMode(*receipts)
	}
	if err == nil {
		cfg.SubjectTag, err = smpptest.ParseSubjectTag(*subject)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "smscsim:", err)
		os.Exit(2)
	}
	if *qfull {
		b.BusyStatus = pdu.StatusMsgQFul
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := smpptest.ListenAndServe(ctx, *addr, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "smscsim:", err)
		os.Exit(1)
	}
}
