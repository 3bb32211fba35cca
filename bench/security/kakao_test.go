package security

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msgrelay/relay/bench/faults"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// hostileKakao is a Kakao BizMessage endpoint that answers its first bad
// sends with misbehave, then as Kakao does (1000, delivered).
type hostileKakao struct {
	misbehave func(w http.ResponseWriter)
	bad       atomic.Int32 // sends still to misbehave on
	sends     atomic.Int32
	cids      sync.Map // every cid sent, with how often
	slowest   atomic.Int64
}

func (k *hostileKakao) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v2/oauth/token":
		io.WriteString(w, `{"access_token":"tok-hostile","token_type":"bearer","expires_in":86399}`)
	case "/v2/send/kakao", "/v2/info/message/search":
		var body struct {
			CID string `json:"cid"`
		}
		_ = json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body)
		if r.URL.Path == "/v2/send/kakao" {
			k.sends.Add(1)
			n, _ := k.cids.LoadOrStore(body.CID, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			if k.bad.Add(-1) >= 0 {
				t0 := time.Now()
				k.misbehave(w)
				k.slowest.Store(max(k.slowest.Load(), int64(time.Since(t0))))
				return
			}
		}
		fmt.Fprintf(w, `{"code":"1000","message":"ok","uid":"K1","cid":%q,"received_at":"2026-12-02 10:00:00"}`, body.CID)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// The Kakao side: an endpoint that answers with a huge body, dribbles its
// body, answers malformed JSON or redirects to another host. Each holds
// for its first three sends; the relay must stay small, keep each call in
// its request timeout, follow no redirect, and still deliver the message
// once, with the same serial, when the endpoint comes back to its senses.
func TestKakaoAttacks(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		io.WriteString(w, `{"code":"1000"}`)
	}))
	defer other.Close()
	for _, c := range []struct {
		name      string
		misbehave func(w http.ResponseWriter)
	}{
		{"K1 a 20 MB answer", func(w http.ResponseWriter) {
			io.WriteString(w, `{"code":"1000","message":"`)
			chunk := strings.Repeat("x", 1<<20)
			for range 20 {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
			io.WriteString(w, `"}`)
		}},
		{"K2 a body dribbled a byte at a time", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusOK)
			for range 100 {
				if _, err := io.WriteString(w, " "); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		}},
		{"K3 malformed JSON", func(w http.ResponseWriter) {
			io.WriteString(w, `{"code":"10`)
		}},
		{"K4 a redirect to another host", func(w http.ResponseWriter) {
			w.Header().Set("Location", other.URL+"/v2/send/kakao")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := &hostileKakao{misbehave: c.misbehave}
			k.bad.Store(3)
			lag := faults.NewLagMeter()
			defer lag.Stop()
			srv := httptest.NewServer(k)
			defer srv.Close()
			r := startRelay(t, "", fmt.Sprintf("\n[kakao]\nbase_url = %q\nclient_id = \"relay\"\nclient_secret = \"kakao-hostile\"\n"+
				"request_timeout = \"1s\"\nmax_conns = 2\n", srv.URL))
			id, final := submitAlimTalk(t, r.Addr, c.name)
			rss := faults.RSSMiB(r.PID())
			t.Logf("%s: sends %d, slowest misbehaving answer %v, relay RSS %.0f MiB, final %v",
				c.name, k.sends.Load(), time.Duration(k.slowest.Load()).Round(time.Millisecond), rss, final)
			if final != upstreampb.FinalState_DELIVERED {
				t.Errorf("message %s ended %v, want delivered once the endpoint recovers", id, final)
			}
			k.cids.Range(func(cid, n any) bool {
				if cid != id {
					t.Errorf("a send with serial %q, not the message's %q", cid, id)
				}
				return true
			})
			if rss > 256 {
				t.Errorf("relay RSS %.0f MiB > 256 MiB", rss)
			}
			// Five times the timeout, plus the lag of a busy machine (the
			// relay's timer and the server's failed write each wake late).
			if d, worst := time.Duration(k.slowest.Load()), lag.Stop(); d > 5*time.Second+2*worst {
				t.Errorf("a misbehaving answer held the relay %v, past its 1 s request timeout (lag %v)", d, worst)
			}
			if n := elsewhere.Load(); n > 0 {
				t.Errorf("the relay followed a redirect to another host %d times", n)
			}
		})
	}
}

// submitAlimTalk sends one AlimTalk as customer shop and waits for its
// final report.
func submitAlimTalk(t *testing.T, addr, ref string) (string, upstreampb.FinalState) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reports := make(chan *upstreampb.Report, 8)
	cl, err := client.Dial(ctx, addr, client.Options{Customer: "shop", Secret: faults.Secret, PingInterval: -1,
		OnReport: func(r *upstreampb.Report) { reports <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := cl.Submit(ctx, &upstreampb.Submit{ClientRef: ref, Product: upstreampb.Product_PRODUCT_ALIMTALK,
		Sender: "0212345678", Recipient: "01012345678", SenderKey: "faults-key", TemplateCode: "FAULTS_01",
		Text: "kakao msg 1"})
	if err != nil || resp.Status != upstreampb.Status_OK {
		t.Fatalf("submit: %v %v", resp, err)
	}
	for {
		select {
		case r := <-reports:
			if r.MessageId == resp.MessageId {
				return r.MessageId, r.State
			}
		case <-ctx.Done():
			t.Fatalf("no final report for %s in 60 s", resp.MessageId)
		}
	}
}
