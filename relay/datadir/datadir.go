// Package datadir keeps the relay's data directory private: message texts
// and recipient numbers live there, in the store's files.
//
// [Prepare] creates the directory 0700 and refuses one that group or
// others may read, write or enter, unless the configuration says
// allow_shared_data_dir = true. relayd runs with umask 077, so every file
// the store, the runtime state and the audit log create is 0600 and every
// directory 0700.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrShared is wrapped by Prepare's refusal of a directory others may read.
var ErrShared = errors.New("datadir: data directory readable by group or others")

// Prepare creates dir (0700) if it does not exist, and checks that no one
// but its owner may use it, unless allowShared.
func Prepare(dir string, allowShared bool) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("datadir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("datadir: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && !allowShared {
		return fmt.Errorf("%w: %s is mode %04o (chmod 700 it, or set allow_shared_data_dir = true)", ErrShared, dir, perm)
	}
	return nil
}

// Loose lists the files and directories under dir that group or others may
// use, for a check after the fact.
func Loose(dir string) ([]string, error) {
	var out []string
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		if fi.Mode().Perm()&0o077 != 0 {
			out = append(out, fmt.Sprintf("%s %04o", p, fi.Mode().Perm()))
		}
		return nil
	})
	return out, err
}
