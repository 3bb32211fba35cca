package security

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/bench/faults"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// Attack 3: what the relay writes (store, runtime state, audit log) is
// not readable by other local users, and a data_dir others may read is
// refused at start.
func TestAttack03PrivateAtRest(t *testing.T) {
	r := startRelay(t, "", "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, r.Addr, client.Options{Customer: "shop", Secret: faults.Secret, PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cl.Submit(ctx, &upstreampb.Submit{ClientRef: "private", Product: upstreampb.Product_PRODUCT_SMS,
		Sender: "0212345678", Recipient: "01012345678", Text: "a private text"})
	cl.Close()
	if err != nil || resp.Status != upstreampb.Status_OK {
		t.Fatalf("submit: %v %v", resp, err)
	}
	c := clientFrom("127.0.0.1")
	r.call(c, "POST", "/api/v1/customers/shop/suspend", opToken, `{"reason":"audit me"}`)
	var loose []string
	for _, dir := range []string{filepath.Join(r.dir, "data"), r.dir + "/audit.jsonl"} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if fi, err := d.Info(); err == nil && fi.Mode().Perm()&0o077 != 0 {
				loose = append(loose, strings.TrimPrefix(p, r.dir)+" "+fi.Mode().Perm().String())
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	if len(loose) > 0 {
		t.Errorf("readable by others: %q", loose)
	}

	// A data_dir others may read is refused.
	bin, err := faults.BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	carrier, err := faults.NewCarrier("beta", smpptest.Config{Users: map[string]string{"relay": faults.CarrierPassword}})
	if err != nil {
		t.Fatal(err)
	}
	defer carrier.Close()
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(shared, 0o755)
	s := &faults.Setup{DataDir: shared, Customers: []string{"shop"}, Carriers: []*faults.Carrier{carrier}}
	cfg := filepath.Join(dir, "relay.toml")
	if err := s.Write(cfg); err != nil {
		t.Fatal(err)
	}
	if rd, err := faults.StartRelayd(bin, cfg, nil); err == nil {
		rd.Kill()
		t.Error("relayd started on a data_dir of mode 0755")
	} else if !strings.Contains(err.Error(), "0755") {
		t.Errorf("refused, but not saying why: %v", err)
	}
}
