package configs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/ops"
)

func TestAlertRulesPassPromtool(t *testing.T) {
	promtool := tool(t, "promtool")
	files, _ := filepath.Glob("prometheus/*.yml")
	if len(files) == 0 {
		t.Fatal("no alert rules in configs/prometheus")
	}
	out, err := exec.Command(promtool, append([]string{"check", "rules"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// metricRE finds the relay's metric names in PromQL; histogram series
// (_bucket, _sum, _count) name their family.
var metricRE = regexp.MustCompile(`\b(?:relay|go|process)_[a-z0-9_]+\b`)

// TestAssetsNameExportedMetrics checks that every metric the dashboards
// and alert rules name is one a live relay on dev.toml exports.
func TestAssetsNameExportedMetrics(t *testing.T) {
	d := devRelay(t)
	sendSome(t, d)
	text := get(t, d, "/metrics")
	exported := map[string]bool{}
	for _, f := range ops.Families(text) {
		exported[f] = true
	}
	named := map[string][]string{} // metric -> files naming it
	dashboards, _ := filepath.Glob("grafana/*.json")
	rules, _ := filepath.Glob("prometheus/*.yml")
	if len(dashboards) == 0 || len(rules) == 0 {
		t.Fatalf("dashboards %v, rules %v: want both", dashboards, rules)
	}
	for _, f := range dashboards {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				for _, m := range metricRE.FindAllString(tg.Expr, -1) {
					named[m] = append(named[m], f+": "+p.Title)
				}
			}
		}
	}
	for _, f := range rules {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, m := range metricRE.FindAllString(line, -1) {
				named[m] = append(named[m], f)
			}
		}
	}
	if len(named) < 20 {
		t.Fatalf("only %d metrics named by the assets; the parser is broken", len(named))
	}
	for m, where := range named {
		family := m
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if f, ok := strings.CutSuffix(m, suffix); ok && exported[f] {
				family = f
			}
		}
		if !exported[family] {
			slices.Sort(where)
			t.Errorf("%s is not exported by the relay; named in %s", m, strings.Join(slices.Compact(where), ", "))
		}
	}
}

// TestProductionExampleChecks runs the check of `relayd -check-config` on
// production.example.toml: it fails while the secret files are missing and
// passes once they exist.
func TestProductionExampleChecks(t *testing.T) {
	b, err := os.ReadFile("production.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := strings.ReplaceAll(string(b), "/etc/relay/", dir+"/etc/")
	text = strings.ReplaceAll(text, "/var/lib/relay", dir+"/data")
	path := filepath.Join(dir, "relay.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := relay.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.CheckSecrets()
	if err == nil || !strings.Contains(err.Error(), "carrier-a.password") {
		t.Fatalf("check without the secret files = %v, want an error naming carrier-a.password", err)
	}

	secrets := regexp.MustCompile(`"(`+regexp.QuoteMeta(dir)+`/etc/secrets/[^"]+)"`).FindAllStringSubmatch(text, -1)
	if len(secrets) < 7 {
		t.Fatalf("%d secret files in the example, want carriers, Kakao, customers and tokens", len(secrets))
	}
	if err := os.MkdirAll(filepath.Join(dir, "etc", "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		secret := "a-secret-of-24-characters"
		if strings.HasSuffix(s[1], ".token") {
			secret = admin.NewToken() // admin tokens have one format (rly_…)
		}
		if err := os.WriteFile(s[1], []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCert(t, filepath.Join(dir, "etc", "tls"))
	if err := cfg.CheckSecrets(); err != nil {
		t.Fatalf("check with every secret file: %v", err)
	}
}

// writeCert writes a self-signed upstream.crt and upstream.key into dir.
func writeCert(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"relay.example"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, blk := range map[string]*pem.Block{
		"upstream.crt": {Type: "CERTIFICATE", Bytes: der},
		"upstream.key": {Type: "PRIVATE KEY", Bytes: kb},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSystemdUnitHardened asks systemd-analyze for the unit's exposure
// score: 2.0 or less out of 10 ("OK"), as hardened as a network daemon with
// a state directory can be.
func TestSystemdUnitHardened(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	out, err := exec.Command(sa, "security", "--offline=yes", "--threshold=20", "systemd/relayd.service").CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
}
