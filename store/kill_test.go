package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

const (
	crashChildEnv = "STORE_CRASH_CHILD_DIR"
	crashCycleEnv = "STORE_CRASH_CHILD_CYCLE"
)

// crashChild runs in a re-executed test binary: it drives messages through
// their life on a real disk and prints one line per acknowledged write,
// after the write returned, until it is killed.
func crashChild(dir string) {
	s, err := Open(dir, Options{Logger: discardLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	cycle := os.Getenv(crashCycleEnv)
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	ack := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush() // one write per line: what the parent read was acknowledged
		mu.Unlock()
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				ref := fmt.Sprintf("%s-%d-%d", cycle, w, i)
				m := sms("kill", ref)
				id, _, err := s.Accept(ctx, m)
				if err != nil {
					fmt.Fprintln(os.Stderr, "accept:", err)
					os.Exit(3)
				}
				ack("A %d", id)
				steps := []func() error{
					func() error { return s.MarkQueued(ctx, id) },
					func() error { return s.MarkSending(ctx, id, "skt") },
					func() error {
						_, err := s.RecordSubmitResp(ctx, id, "skt", ref, time.Now())
						return err
					},
					func() error {
						_, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: ref, Delivered: true, Final: true})
						return err
					},
				}
				for _, step := range steps[:i%(len(steps)+1)] {
					if err := step(); err != nil {
						fmt.Fprintln(os.Stderr, "step:", err)
						os.Exit(4)
					}
					got, err := s.Get(id)
					if err != nil {
						os.Exit(5)
					}
					ack("S %d %d", id, got.State)
				}
			}
		}()
	}
	wg.Wait()
	os.Exit(0)
}

func TestKillDuringLoad(t *testing.T) {
	cycles := 20
	if testing.Short() {
		cycles = 5
	}
	dir := t.TempDir()
	acked := make(map[message.ID]message.State)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for cycle := range cycles {
		killAfter := 20 + rng.IntN(600) // acknowledged lines before the kill
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashCycleEnv+"="+strconv.Itoa(cycle))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		lines := 0
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			id, _ := strconv.ParseUint(f[1], 10, 64)
			switch {
			case f[0] == "A" && len(f) == 2:
				acked[message.ID(id)] = message.StateAccepted
			case f[0] == "S" && len(f) == 3:
				st, _ := strconv.Atoi(f[2])
				acked[message.ID(id)] = message.State(st)
			default:
				t.Fatalf("child said %q", sc.Text())
			}
			if lines++; lines == killAfter {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
		err = cmd.Wait()
		if lines < killAfter {
			t.Fatalf("cycle %d: child stopped after %d lines: %v\n%s", cycle, lines, err, stderr.String())
		}

		s, err := Open(dir, Options{Logger: discardLogger()})
		if err != nil {
			t.Fatalf("cycle %d: reopen: %v", cycle, err)
		}
		for id, st := range acked {
			m, err := s.Get(id)
			if err != nil {
				t.Fatalf("cycle %d: acknowledged %s lost: %v", cycle, id, err)
			}
			if m.State < st {
				t.Fatalf("cycle %d: %s is %s, acknowledged %s", cycle, id, m.State, st)
			}
		}
		if err := s.Verify(); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kills, %d acknowledged messages all present", cycles, len(acked))
}
