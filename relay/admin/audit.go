package admin

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Entry is one audited change.
type Entry struct {
	At       time.Time `json:"at"`
	Who      string    `json:"who"`              // token name
	Scope    string    `json:"scope"`            // "operator" or "customer:<id>"
	Action   string    `json:"action"`           // e.g. "customer.suspend"
	Target   string    `json:"target"`           // customer id or MID
	Detail   string    `json:"detail,omitempty"` // e.g. the sender number
	Outcome  string    `json:"outcome"`          // "ok" or "refused"
	Error    string    `json:"error,omitempty"`  // why it was refused
	RemoteIP string    `json:"remote_ip,omitempty"`
}

// AuditLog records changes. Record returns once the entry is durable.
type AuditLog interface {
	Record(e Entry) error
}

// FileAudit appends entries to a file as JSON lines, one fsync each.
type FileAudit struct {
	mu struct {
		sync.Mutex
		f *os.File
	}
}

// OpenFileAudit opens (or creates) the audit file for appending.
func OpenFileAudit(path string) (*FileAudit, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("admin: audit log: %w", err)
	}
	a := &FileAudit{}
	a.mu.f = f
	return a, nil
}

// Record writes e as one line and syncs the file.
func (a *FileAudit) Record(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mu.f == nil {
		return fmt.Errorf("admin: audit log closed")
	}
	if _, err := a.mu.f.Write(b); err != nil {
		return fmt.Errorf("admin: audit log: %w", err)
	}
	if err := a.mu.f.Sync(); err != nil {
		return fmt.Errorf("admin: audit log: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *FileAudit) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mu.f == nil {
		return nil
	}
	err := a.mu.f.Close()
	a.mu.f = nil
	return err
}
