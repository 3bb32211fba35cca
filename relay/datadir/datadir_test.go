package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestPrepare(t *testing.T) {
	base := t.TempDir()
	fresh := filepath.Join(base, "fresh", "data")
	if err := Prepare(fresh, false); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o700 {
		t.Fatalf("created %04o", fi.Mode().Perm())
	}
	shared := filepath.Join(base, "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Prepare(shared, false); !errors.Is(err, ErrShared) {
		t.Fatalf("0755: %v", err)
	}
	if err := Prepare(shared, true); err != nil {
		t.Fatalf("0755 allowed: %v", err)
	}
}

func TestLoose(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	if err := os.WriteFile(filepath.Join(dir, "open"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "closed"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Loose(dir)
	if err != nil || len(l) != 1 || l[0] != "open 0644" {
		t.Fatalf("%q %v", l, err)
	}
}
