package smpp_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
)

func TestConfigValidate(t *testing.T) {
	ok := smpp.Config{Addr: "127.0.0.1:2775", SystemID: "relay"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	for name, mut := range map[string]func(*smpp.Config){
		"no addr":         func(c *smpp.Config) { c.Addr = "" },
		"no system_id":    func(c *smpp.Config) { c.SystemID = "" },
		"long system_id":  func(c *smpp.Config) { c.SystemID = strings.Repeat("x", 16) },
		"long password":   func(c *smpp.Config) { c.Password = "123456789" },
		"bad mode":        func(c *smpp.Config) { c.Mode = 9 },
		"negative window": func(c *smpp.Config) { c.Window = -1 },
		"max below min":   func(c *smpp.Config) { c.ReconnectMin, c.ReconnectMax = time.Second, time.Millisecond },
		"tiny max pdu":    func(c *smpp.Config) { c.MaxPDULen = 10 },
	} {
		c := ok
		mut(&c)
		if err := c.Validate(); !errors.Is(err, smpp.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
		if _, err := smpp.NewSession(c); !errors.Is(err, smpp.ErrConfig) {
			t.Errorf("%s: NewSession err = %v", name, err)
		}
	}
}
