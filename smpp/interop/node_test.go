package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// needNode returns the node binary, or skips (fails under
// RELAY_REQUIRE_PEERS=1) when node or the npm package is missing.
func needNode(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("RELAY_REQUIRE_PEERS") == "1" {
			t.Fatalf("interop peer missing: %s", why)
		}
		t.Skipf("interop peer missing: %s", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not on PATH")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "smpp", "package.json")); err != nil {
		missing("node_modules/smpp not installed (run npm ci in smpp/interop)")
	}
	return node
}

// nodeProc is a running node script whose stdout is read line by line.
type nodeProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan []byte
}

// startNode runs script with args; it is killed when the test ends and
// never runs longer than limit.
func startNode(t *testing.T, limit time.Duration, script string, args ...string) *nodeProc {
	t.Helper()
	node := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &nodeProc{cmd: cmd, stdin: stdin, lines: make(chan []byte, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		cancel()
		<-done
		_ = cmd.Wait()
	})
	return p
}

// next decodes the next stdout line into v, failing after d.
func (p *nodeProc) next(t *testing.T, d time.Duration, v any) bool {
	t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			return false
		}
		if err := json.Unmarshal(line, v); err != nil {
			t.Fatalf("node printed %q: %v", line, err)
		}
		return true
	case <-time.After(d):
		t.Fatalf("node printed nothing for %v", d)
		return false
	}
}
