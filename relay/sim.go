package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// simDialer is the dispatcher's Dialer for the dev configuration: a carrier
// whose addr is "sim" gets an in-process simulated SMSC, a Kakao base_url
// of "sim" an in-process simulated BizMessage server; every other peer is
// reached directly. The simulators live and die with the daemon, but what
// a simulated SMSC had not delivered yet (its pending receipts, and where
// its message ids got to) is kept in the data directory at a stop
// (simulatedReceiptsFile) and taken up by the next start's simulator, as
// a real carrier's SMSC outlives a restart of the relay. A crash loses
// them: those messages stay sent until their validity runs out.
type simDialer struct {
	cfg   SimulateConfig
	dir   string // the data directory
	log   *slog.Logger
	smscs []*smpptest.Server
	kakao *kakaotest.Server
	// byCarrier is each simulated carrier's SMSC and what it was made for:
	// a reload that changes the carrier's other settings binds to the same
	// one, which still holds the receipts of what the old binds sent.
	byCarrier map[string]simSMSC
	// kept is what the last stop's simulators left, by carrier, read at
	// the first SMSC; nil before.
	kept map[string]smpptest.Kept
}

// simulatedReceiptsFile, in the data directory, holds the simulated
// carriers' pending receipts between a stop and the next start.
const simulatedReceiptsFile = "simulated-carriers.json"

type simSMSC struct {
	srv                *smpptest.Server
	systemID, password string
	subject            pdu.Tag
	zone               string // of its receipt dates: the carrier's time_zone
}

var _ dispatch.Dialer = (*simDialer)(nil)

func (s *simDialer) SMSC(cc *dispatch.CarrierConfig, password string) (string, error) {
	if cc.Addr != "sim" {
		return dispatch.Direct{}.SMSC(cc, password)
	}
	if cc.SystemID == "" {
		cc.SystemID = "relay"
	}
	subject, err := cc.SubjectTag()
	if err != nil {
		return "", err
	}
	want := simSMSC{systemID: cc.SystemID, password: password, subject: subject, zone: cc.TimeZone}
	if had, ok := s.byCarrier[cc.Name]; ok && had.systemID == want.systemID && had.password == want.password && had.subject == want.subject &&
		had.zone == want.zone {
		return had.srv.Addr(), nil
	}
	loc, err := time.LoadLocation(cc.TimeZone)
	if err != nil {
		return "", err
	}
	if err := s.loadKept(); err != nil {
		return "", err
	}
	kept := s.kept[cc.Name]
	delete(s.kept, cc.Name)
	sim, err := smpptest.NewServer(smpptest.Config{
		Users:        map[string]string{cc.SystemID: password},
		SubjectTag:   subject, // records the subjects the carrier takes
		Location:     loc,     // receipt dates as the carrier's are read
		Receipts:     smpptest.ReceiptBoth,
		ReceiptDelay: s.cfg.ReceiptDelay.D(),
		FailRatio:    s.cfg.FailRatio,
		Logger:       s.log,
		Clock:        s.cfg.clock,
		IDStart:      kept.NextID, // 0: from 1
	})
	if err != nil {
		return "", err
	}
	if err := sim.Restore(kept.Receipts); err != nil {
		sim.Close()
		return "", err
	}
	if n := len(kept.Receipts); n > 0 {
		s.log.Info("relay: simulated SMSC took up the receipts pending at the last stop", "carrier", cc.Name, "receipts", n)
	}
	s.smscs = append(s.smscs, sim)
	if s.byCarrier == nil {
		s.byCarrier = map[string]simSMSC{}
	}
	want.srv = sim
	s.byCarrier[cc.Name] = want
	s.log.Info("relay: simulated SMSC", "carrier", cc.Name, "addr", sim.Addr())
	return sim.Addr(), nil
}

func (s *simDialer) Kakao(k *dispatch.KakaoConfig, id, secret string) (string, string, string, error) {
	if k.BaseURL != "sim" {
		return dispatch.Direct{}.Kakao(k, id, secret)
	}
	mix, _ := kakaotest.ParseMix(k.Simulate.Mix)
	if id == "" {
		id = "relay"
	}
	if secret == "" {
		secret = "sim-secret"
	}
	sim, err := kakaotest.NewServer(kakaotest.Config{ClientID: id, ClientSecret: secret,
		Latency: k.Simulate.Latency, Mix: mix, Logger: s.log})
	if err != nil {
		return "", "", "", err
	}
	s.kakao = sim
	s.log.Info("relay: simulated Kakao BizMessage server", "url", sim.URL())
	return sim.URL(), id, secret, nil
}

// close stops each simulator once, keeping what each carrier's current
// SMSC had not delivered in the data directory for the next start.
func (s *simDialer) close() {
	kept := map[string]smpptest.Kept{}
	current := make(map[*smpptest.Server]bool, len(s.byCarrier))
	n := 0
	for name, c := range s.byCarrier {
		current[c.srv] = true
		k, err := c.srv.CloseKeeping() // closed even when it fails
		if err != nil {
			s.log.Error("relay: simulated SMSC: keeping its pending receipts", "carrier", name, "err", err)
			continue
		}
		kept[name] = k
		n += len(k.Receipts)
	}
	for _, sim := range s.smscs {
		if !current[sim] { // one a reload replaced
			sim.Close()
		}
	}
	if s.kakao != nil {
		s.kakao.Close()
	}
	if len(kept) == 0 {
		return
	}
	if err := writeFileSynced(filepath.Join(s.dir, simulatedReceiptsFile), kept); err != nil {
		s.log.Error("relay: simulated SMSCs: keeping their pending receipts", "err", err)
		return
	}
	s.log.Info("relay: simulated SMSCs kept their pending receipts for the next start", "receipts", n)
}

// loadKept reads, once, what the last stop's simulators left, and removes
// the file: what it held is the new simulators' from now on.
func (s *simDialer) loadKept() error {
	if s.kept != nil {
		return nil
	}
	s.kept = map[string]smpptest.Kept{}
	path := filepath.Join(s.dir, simulatedReceiptsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &s.kept); err != nil {
		return fmt.Errorf("relay: %s: %w", path, err)
	}
	return os.Remove(path)
}
