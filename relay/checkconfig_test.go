package relay

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/internal/testcert"
)

// checkConfigBase is the smallest configuration that starts: every case
// of TestCheckConfigStartNeeds adds one table or key to it.
const checkConfigBase = `data_dir = "DIR/data"
[upstream]
listen = "127.0.0.1:0"
[[route]]
carriers = [{ name = "a", weight = 1 }]
[[carrier]]
name = "a"
addr = "127.0.0.1:1"
system_id = "relay"
`

// The configuration check reads what start-up needs: a secret source
// names a set variable or a readable file, TLS pairs load and match, and a
// carrier's password is empty only when the file says password = "".
// Each refusal names the key and its value.
func TestCheckConfigStartNeeds(t *testing.T) {
	dir := t.TempDir()
	cert, key, _ := testcert.Write(t, filepath.Join(mkdir(t, dir, "one")))
	_, otherKey, _ := testcert.Write(t, filepath.Join(mkdir(t, dir, "two")))
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("a-secret-of-24-characters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	blank := filepath.Join(dir, "blank")
	if err := os.WriteFile(blank, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RELAY_CHECK_SET", "a-secret-of-24-characters")
	t.Setenv("RELAY_CHECK_EMPTY", "")
	os.Unsetenv("RELAY_CHECK_UNSET")
	missing := filepath.Join(dir, "missing.pem")

	for _, c := range []struct {
		name string
		pw   string // the carrier's password line(s)
		more string // tables appended
		want []string
	}{
		{name: "password given", pw: `password = "pw"`},
		{name: "password_file readable", pw: `password_file = "` + secret + `"`},
		{name: "password_env set", pw: `password_env = "RELAY_CHECK_SET"`},
		{name: "explicit empty password", pw: `password = ""`},
		{name: "no password at all", pw: ``, want: []string{`carrier "a"`, `password`, `password = ""`}},
		{name: "password_env unset", pw: `password_env = "RELAY_CHECK_UNSET"`, want: []string{`password_env`, `RELAY_CHECK_UNSET`}},
		{name: "password_env empty", pw: `password_env = "RELAY_CHECK_EMPTY"`, want: []string{`password_env`, `RELAY_CHECK_EMPTY`, "empty"}},
		{name: "password_file missing", pw: `password_file = "` + missing + `"`, want: []string{`password_file`, missing}},
		{name: "password_file blank", pw: `password_file = "` + blank + `"`, want: []string{`password_file`, blank, "empty"}},
		{name: "customer secret_env unset", pw: `password = "pw"`,
			more: "[[customer]]\nid = \"shop\"\nproducts = [\"sms\"]\nsecret_env = \"RELAY_CHECK_UNSET\"\n",
			want: []string{`customer "shop"`, `secret_env`, `RELAY_CHECK_UNSET`}},
		{name: "customer secret_file missing", pw: `password = "pw"`,
			more: "[[customer]]\nid = \"shop\"\nproducts = [\"sms\"]\nsecret_file = \"" + missing + "\"\n",
			want: []string{`customer "shop"`, `secret_file`, missing}},
		{name: "customer webhook_secrets_env unset", pw: `password = "pw"`,
			more: "[[customer]]\nid = \"shop\"\nproducts = [\"sms\"]\nsecret_file = \"" + secret + "\"\nreport_url = \"https://shop.example/r\"\nwebhook_secrets_env = \"RELAY_CHECK_UNSET\"\n",
			want: []string{`customer "shop"`, `webhook_secrets_env`, `RELAY_CHECK_UNSET`}},
		{name: "kakao client_secret_env unset", pw: `password = "pw"`,
			more: "[kakao]\nbase_url = \"https://kakao.example\"\nclient_id = \"relay\"\nclient_secret_env = \"RELAY_CHECK_UNSET\"\n",
			want: []string{`kakao`, `client_secret_env`, `RELAY_CHECK_UNSET`}},
		{name: "kakao client_secret_file missing", pw: `password = "pw"`,
			more: "[kakao]\nbase_url = \"https://kakao.example\"\nclient_id = \"relay\"\nclient_secret_file = \"" + missing + "\"\n",
			want: []string{`kakao`, `client_secret_file`, missing}},
		{name: "admin token env unset", pw: `password = "pw"`,
			more: "[admin]\n[[admin.token]]\nname = \"ops\"\nenv = \"RELAY_CHECK_UNSET\"\n",
			want: []string{`token "ops"`, `RELAY_CHECK_UNSET`}},
		{name: "admin token file missing", pw: `password = "pw"`,
			more: "[admin]\n[[admin.token]]\nname = \"ops\"\nfile = \"" + missing + "\"\n",
			want: []string{`token "ops"`, missing}},
		{name: "upstream tls pair", pw: `password = "pw"`,
			more: "[upstream]\ntls_cert = \"" + cert + "\"\ntls_key = \"" + key + "\"\n"},
		{name: "upstream tls_cert missing", pw: `password = "pw"`,
			more: "[upstream]\ntls_cert = \"" + missing + "\"\ntls_key = \"" + key + "\"\n",
			want: []string{`upstream.tls_cert`, missing}},
		{name: "upstream tls key of another cert", pw: `password = "pw"`,
			more: "[upstream]\ntls_cert = \"" + cert + "\"\ntls_key = \"" + otherKey + "\"\n",
			want: []string{`upstream.tls_cert`, cert, `upstream.tls_key`, otherKey}},
		{name: "smpp_server key_file missing", pw: `password = "pw"`,
			more: "[smpp_server]\nlisten = \"127.0.0.1:0\"\ncert_file = \"" + cert + "\"\nkey_file = \"" + missing + "\"\n",
			want: []string{`smpp_server.key_file`, missing}},
		{name: "http tls key of another cert", pw: `password = "pw"`,
			more: "[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"" + cert + "\"\ntls_key = \"" + otherKey + "\"\n",
			want: []string{`http.tls_cert`, `http.tls_key`, otherKey}},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := strings.ReplaceAll(checkConfigBase, "DIR", dir) + c.pw + "\n" + c.more
			text = mergeUpstream(text)
			path := filepath.Join(t.TempDir(), "relay.toml")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path)
			if err != nil {
				t.Fatalf("load: %v\n%s", err, text)
			}
			err = cfg.CheckSecrets()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("check = %v, want valid", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("check = valid, want an error naming %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("check = %v\nwant it to name %q", err, w)
				}
			}
		})
	}
}

// mergeUpstream moves a second [upstream] table's keys into the first, so
// that a case can add TLS keys to the base.
func mergeUpstream(text string) string {
	first := strings.Index(text, "[upstream]\n")
	second := strings.LastIndex(text, "[upstream]\n")
	if first == second {
		return text
	}
	rest := text[second+len("[upstream]\n"):]
	end := strings.Index(rest, "[")
	if end < 0 {
		end = len(rest)
	}
	keys := rest[:end]
	text = text[:second] + rest[end:]
	at := first + len("[upstream]\n")
	return text[:at] + keys + text[at:]
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	d := filepath.Join(parent, name)
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// Start runs the same check before it touches anything: a config that
// cannot start fails before the data directory is made or a carrier dialled.
func TestStartChecksBeforeStore(t *testing.T) {
	dir := t.TempDir()
	text := strings.ReplaceAll(checkConfigBase, "DIR", dir) + "password_env = \"RELAY_CHECK_UNSET\"\n"
	os.Unsetenv("RELAY_CHECK_UNSET")
	path := filepath.Join(dir, "relay.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Start(cfg, Options{})
	if err == nil {
		d.Shutdown(context.Background())
		t.Fatal("Start succeeded with an unset password_env")
	}
	if !strings.Contains(err.Error(), "RELAY_CHECK_UNSET") {
		t.Errorf("Start = %v, want the error naming RELAY_CHECK_UNSET", err)
	}
	if _, err := os.Stat(cfg.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data_dir after the refused start: %v, want it never made", err)
	}
}
