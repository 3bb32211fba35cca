package upstream

import (
	"errors"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
)

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	d := Config{}.WithDefaults()
	if d.MaxFrameSize != DefaultMaxFrameSize || d.BindTimeout != 5*time.Second || d.MaxInFlight != 4096 || d.Name != "upstream" {
		t.Fatalf("defaults: %+v", d)
	}
	bad := []Config{
		{MaxFrameSize: 100},
		{MaxFrameSize: 32 << 20},
		{IdleTimeout: -time.Second},
		{MaxConns: -1},
		{MaxInFlight: -1},
		{MaxInFlight: 2, SubmitWorkers: 3},
		{Auth: authguard.Config{FailRate: -1}},
		{MaxPending: 4, MaxPendingPerSource: 5},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
