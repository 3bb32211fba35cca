package relay

import (
	"log/slog"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// simDialer is the dispatcher's Dialer for the dev configuration: a carrier
// whose addr is "sim" gets an in-process simulated SMSC, a Kakao base_url
// of "sim" an in-process simulated BizMessage server; every other peer is
// reached directly. The simulators live and die with the daemon.
type simDialer struct {
	cfg   SimulateConfig
	log   *slog.Logger
	smscs []*smpptest.Server
	kakao *kakaotest.Server
	// byCarrier is each simulated carrier's SMSC and what it was made for:
	// a reload that changes the carrier's other settings binds to the same
	// one, which still holds the receipts of what the old binds sent.
	byCarrier map[string]simSMSC
}

type simSMSC struct {
	srv                *smpptest.Server
	systemID, password string
	subject            pdu.Tag
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
	want := simSMSC{systemID: cc.SystemID, password: password, subject: subject}
	if had, ok := s.byCarrier[cc.Name]; ok && had.systemID == want.systemID && had.password == want.password && had.subject == want.subject {
		return had.srv.Addr(), nil
	}
	sim, err := smpptest.NewServer(smpptest.Config{
		Users:        map[string]string{cc.SystemID: password},
		SubjectTag:   subject, // records the subjects the carrier takes
		Receipts:     smpptest.ReceiptBoth,
		ReceiptDelay: s.cfg.ReceiptDelay.D(),
		FailRatio:    s.cfg.FailRatio,
		Logger:       s.log,
	})
	if err != nil {
		return "", err
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

func (s *simDialer) close() {
	for _, sim := range s.smscs {
		sim.Close()
	}
	if s.kakao != nil {
		s.kakao.Close()
	}
}
