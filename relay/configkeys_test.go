package relay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnknownKeyHint(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ file, want string }{
		{"data_dri = \"x\"\n", `data_dri (did you mean data_dir?)`},
		{"[[carrier]]\nname = \"a\"\npasword_file = \"/x\"\n", `carrier.pasword_file (did you mean carrier.password_file?)`},
		{"[kakao]\nbase_ulr = \"sim\"\n", `kakao.base_ulr (did you mean kakao.base_url?)`},
		{"completely_unrelated_setting = 1\n", `unknown keys: completely_unrelated_setting`},
	} {
		path := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(path, []byte(c.file), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadConfig(%q) = %v, want %q", c.file, err, c.want)
		}
		if strings.HasSuffix(c.want, "setting") && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("LoadConfig(%q) = %v: a hint for a key nothing is close to", c.file, err)
		}
	}
}
