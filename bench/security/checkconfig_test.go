package security

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgrelay/relay/bench/faults"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// Attack 10: `relayd -check-config` must refuse what cannot start, naming
// the key and its value: an unset secret variable, a missing TLS file, a
// carrier without a password (unless password = "" says so).
func TestAttack10CheckConfig(t *testing.T) {
	faults.SkipShort(t)
	bin, err := faults.BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	carrier, err := faults.NewCarrier("alpha", smpptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer carrier.Close()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	os.Unsetenv("RELAY_ATTACK10_UNSET")
	pwLine := `password = "` + faults.CarrierPassword + `"`
	for _, c := range []struct {
		name  string
		setup faults.Setup
		edit  func(string) string
		want  []string // empty: valid
	}{
		{name: "valid", setup: faults.Setup{}},
		{name: "secret_env unset", setup: faults.Setup{Extra: "\n[[customer]]\nid = \"env\"\nsecret_env = \"RELAY_ATTACK10_UNSET\"\nproducts = [\"sms\"]\n"},
			want: []string{"secret_env", "RELAY_ATTACK10_UNSET"}},
		{name: "tls_cert missing", setup: faults.Setup{Upstream: "tls_cert = \"" + missing + "\"\ntls_key = \"" + missing + "\""},
			want: []string{"upstream.tls_cert", missing}},
		{name: "carrier without a password", setup: faults.Setup{},
			edit: func(s string) string { return strings.Replace(s, pwLine, "", 1) },
			want: []string{`carrier "alpha"`, `password = ""`}},
		{name: "carrier with password = \"\"", setup: faults.Setup{},
			edit: func(s string) string { return strings.Replace(s, pwLine, `password = ""`, 1) }},
		{name: "password_env unset", setup: faults.Setup{},
			edit: func(s string) string { return strings.Replace(s, pwLine, `password_env = "RELAY_ATTACK10_UNSET"`, 1) },
			want: []string{"password_env", "RELAY_ATTACK10_UNSET"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := c.setup
			s.DataDir = filepath.Join(dir, "data")
			s.Customers = []string{"shop"}
			s.Carriers = []*faults.Carrier{carrier}
			text, err := s.Text()
			if err != nil {
				t.Fatal(err)
			}
			if c.edit != nil {
				text = c.edit(text)
			}
			path := filepath.Join(t.TempDir(), "relay.toml")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "-check-config", "-config", path).CombinedOutput()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("-check-config: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("-check-config passed, want it to name %q:\n%s", c.want, out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("-check-config said %s\nwant it to name %q", out, w)
				}
			}
		})
	}
}
