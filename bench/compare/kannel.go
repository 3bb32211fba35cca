package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/msgrelay/relay/bench/procstat"
	"github.com/msgrelay/relay/relay/loopback"
)

// kannelConfig runs bearerbox and smsbox quietly (errors only, as relayd
// logs nothing per message), with Kannel's in-memory DLR storage and no
// store file: Kannel acknowledges a sendsms before anything is on disk.
// The SMPP side matches relayd's: one transceiver bind, a window of
// bindWindow submits.
func kannelConfig(dir string, o *options, smsc, admin, boxes, sendsms int) string {
	return fmt.Sprintf(`group = core
admin-port = %d
admin-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = %d
box-allow-ip = "127.0.0.1"
log-level = 3
log-file = %q
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = %d
transceiver-mode = true
smsc-username = kannel
smsc-password = secret
system-type = "VMA"
source-addr-ton = 0
source-addr-npi = 0
dest-addr-ton = 0
dest-addr-npi = 0
max-pending-submits = %d
msg-id-type = 0x00
log-level = 3

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %d
sendsms-port = %d
sendsms-interface = 127.0.0.1
log-level = 3
log-file = %q
global-sender = %s

group = sendsms-user
username = bench
password = bench
max-messages = 1
`, admin, boxes, filepath.Join(dir, "bearerbox-file.log"), smsc, o.bindWindow,
		boxes, sendsms, filepath.Join(dir, "smsbox-file.log"), benchSender)
}

// runKannel plays one round against Kannel: smscsim, bearerbox and smsbox
// as their own processes, and this program as the loader, sending over
// HTTP sendsms and taking the DLRs back on its own dlr-url.
func runKannel(ctx context.Context, o *options, dir string) (result, error) {
	res := result{System: "kannel"}
	ports, err := loopback.Ports(5)
	if err != nil {
		return res, err
	}
	smscPort, adminPort, boxPort, sendPort, dlrPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	smsc, err := startSMSC(ctx, o, dir, smscPort, "kannel:secret")
	if err != nil {
		return res, err
	}
	defer smsc.stop(5 * time.Second)

	cfgPath := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(cfgPath, []byte(kannelConfig(dir, o, smscPort, adminPort, boxPort, sendPort)), 0o600); err != nil {
		return res, err
	}
	bb, err := start(dir, "bearerbox", o.kannelBin("bearerbox"), cfgPath)
	if err != nil {
		return res, err
	}
	defer bb.stop(10 * time.Second)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := waitListening(wctx, bb, fmt.Sprintf("127.0.0.1:%d", boxPort)); err != nil {
		return res, err
	}
	sb, err := start(dir, "smsbox", o.kannelBin("smsbox"), cfgPath)
	if err != nil {
		return res, err
	}
	defer sb.stop(10 * time.Second)
	if err := waitListening(wctx, sb, fmt.Sprintf("127.0.0.1:%d", sendPort)); err != nil {
		return res, err
	}
	if err := waitKannelOnline(wctx, bb, adminPort); err != nil {
		return res, err
	}

	l := &kannelLoad{
		send:    fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", sendPort),
		dlrAddr: fmt.Sprintf("127.0.0.1:%d", dlrPort),
		n:       o.n,
		workers: o.conns * o.window,
		drain:   o.drain,
	}
	kannel0, err := cpuOf(bb, sb)
	if err != nil {
		return res, err
	}
	smsc0, err := cpuOf(smsc)
	if err != nil {
		return res, err
	}
	self0 := selfCPU()
	if err := l.run(ctx); err != nil {
		return res, err
	}
	self1 := selfCPU()
	kannel1, err := cpuOf(bb, sb)
	if err != nil {
		return res, err
	}
	smsc1, err := cpuOf(smsc)
	if err != nil {
		return res, err
	}
	res.Messages = l.accepted.Load()
	res.Finals = l.finals.Load()
	res.Lost = res.Messages - res.Finals
	res.DoubleBilled = l.dupDelivered.Load()
	res.ReportsPerS, res.ReportP50ms = l.rates()
	res.PeakRSSMiB = procstat.PeakRSSMiB(bb.pid()) + procstat.PeakRSSMiB(sb.pid())
	res.SystemCPU = perMsg(kannel1-kannel0, res.Messages)
	res.SMSCCPU = perMsg(smsc1-smsc0, res.Messages)
	res.LoaderCPU = perMsg(self1-self0, res.Messages)
	return res, nil
}

// waitKannelOnline polls bearerbox's admin status until its SMSC is online.
func waitKannelOnline(ctx context.Context, bb *proc, admin int) error {
	u := fmt.Sprintf("http://127.0.0.1:%d/status.txt?password=bench", admin)
	for {
		if r, err := http.Get(u); err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if strings.Contains(string(b), "online") && strings.Contains(string(b), "sim") {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("compare: Kannel's SMSC never came online: %w\n%s", ctx.Err(), bb.tail(10))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// kannelLoad sends n SMS through smsbox's sendsms from a fixed number of
// workers (as many as relaybench keeps in flight) and counts the final
// DLRs that smsbox calls back.
type kannelLoad struct {
	send, dlrAddr string
	n, workers    int
	drain         time.Duration

	start        time.Time
	sentAt       []int64 // unix ns of each send, by message number
	finalAt      []atomic.Int64
	accepted     atomic.Int64
	finals       atomic.Int64
	dupDelivered atomic.Int64
	lastFinal    atomic.Int64
}

// DLR types (Kannel's dlr-mask bits) that end a message.
const (
	dlrDelivered = 1
	dlrFailed    = 2
	dlrRejected  = 16
)

func (l *kannelLoad) run(ctx context.Context) error {
	l.sentAt = make([]int64, l.n)
	l.finalAt = make([]atomic.Int64, l.n)
	ln, err := net.Listen("tcp", l.dlrAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(l.dlr)}
	go srv.Serve(ln)
	defer srv.Close()

	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: l.workers, MaxConnsPerHost: l.workers},
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, l.workers)
	l.start = time.Now()
	for range l.workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= l.n {
					return
				}
				if err := l.sendOne(client, i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	deadline := time.Now().Add(l.drain)
	for l.finals.Load() < l.accepted.Load() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func (l *kannelLoad) sendOne(client *http.Client, i int) error {
	q := url.Values{
		"username": {"bench"}, "password": {"bench"},
		"to":       {"010" + fmt.Sprintf("%08d", i%100000000)},
		"text":     {"bench message " + strconv.Itoa(i)},
		"dlr-mask": {strconv.Itoa(dlrDelivered | dlrFailed | dlrRejected)},
		"dlr-url":  {"http://" + l.dlrAddr + "/dlr?id=" + strconv.Itoa(i) + "&type=%d"},
	}
	l.sentAt[i] = time.Now().UnixNano()
	r, err := client.Get(l.send + "?" + q.Encode())
	if err != nil {
		return fmt.Errorf("compare: sendsms: %w", err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	// 202 "0: Accepted for delivery" or "3: Queued for later delivery".
	if r.StatusCode == http.StatusAccepted {
		l.accepted.Add(1)
		return nil
	}
	return fmt.Errorf("compare: sendsms answered %d %q", r.StatusCode, body)
}

func (l *kannelLoad) dlr(w http.ResponseWriter, r *http.Request) {
	i, err1 := strconv.Atoi(r.URL.Query().Get("id"))
	typ, err2 := strconv.Atoi(r.URL.Query().Get("type"))
	w.WriteHeader(http.StatusOK)
	if err1 != nil || err2 != nil || i < 0 || i >= l.n {
		return
	}
	if typ&(dlrDelivered|dlrFailed|dlrRejected) == 0 {
		return
	}
	now := time.Now().UnixNano()
	if l.finalAt[i].CompareAndSwap(0, now) {
		l.finals.Add(1)
		for {
			last := l.lastFinal.Load()
			if now <= last || l.lastFinal.CompareAndSwap(last, now) {
				break
			}
		}
		return
	}
	if typ&dlrDelivered != 0 {
		l.dupDelivered.Add(1)
	}
}

// rates gives final reports per second, from the first send to the last
// final DLR, and the median time from send to final DLR.
func (l *kannelLoad) rates() (perS, p50ms float64) {
	n := l.finals.Load()
	span := time.Duration(l.lastFinal.Load() - l.start.UnixNano())
	if n == 0 || span <= 0 {
		return 0, 0
	}
	lat := make([]float64, 0, n)
	for i := range l.finalAt {
		if f := l.finalAt[i].Load(); f != 0 {
			lat = append(lat, float64(f-l.sentAt[i])/1e6)
		}
	}
	slices.Sort(lat)
	return float64(n) / span.Seconds(), lat[len(lat)/2]
}

// selfCPU is this process's user + system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
