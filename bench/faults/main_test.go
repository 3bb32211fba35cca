package faults

import (
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// fasthttp keeps janitor goroutines that outlive a Close by their period,
// and one process-wide date updater.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	)
}

// writeSetup gives s a data directory under a fresh temporary directory,
// writes its relay.toml beside it and returns that file's path.
func writeSetup(t *testing.T, s *Setup) string {
	t.Helper()
	dir := t.TempDir()
	s.DataDir = filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "relay.toml")
	if err := s.Write(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}
