package relay

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/ops"
)

// Each message that becomes final is one JSON line, its number masked and
// its text left out.
func TestAccessLogOneLinePerFinalMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.jsonl")
	h := newHarness(t, func(s *setup) { s.cfg.AccessLog = path })
	u := h.connect("shop")
	var ids []string
	for _, ref := range []string{"al-1", "al-2"} {
		r := h.submit(u, sms(ref, "비밀 본문"))
		h.waitReport(u, r.MessageId)
		ids = append(ids, r.MessageId)
	}
	h.stop()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "비밀") || strings.Contains(string(b), "01098765432") {
		t.Fatalf("the access log holds a text or a full number:\n%s", b)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), b)
	}
	for i, line := range lines {
		var l ops.AccessLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l.ID != ids[i] || l.Customer != "shop" || l.State != "delivered" || l.Billed != "sms" ||
			l.Recipient != "010****5432" || l.Carrier == "" || l.Code == "" || l.Time.IsZero() {
			t.Errorf("line %d: %+v", i, l)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("access log mode %v", fi.Mode())
	}
}

func TestLogFormatChecked(t *testing.T) {
	c := &Config{LogFormat: "yaml"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `log_format "yaml": want text or json`) {
		t.Fatalf("Validate: %v", err)
	}
}
