package cluster_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// A new cluster's node listens once the streams and buckets it needs are
// set up: a submit with a client_ref as soon as it listens is taken, not
// refused with STORE_UNAVAILABLE while RELAY_REFS is being made.
func TestNewClusterTakesClientRefsAtOnce(t *testing.T) {
	w := startWorld(t, smpptest.Config{}, func(_ int, c *relay.Config) {
		c.Cluster.StartWait = 3 * time.Minute // a busy machine forms a cluster slowly
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, d := range w.nodes {
		c, err := client.Dial(ctx, d.UpstreamAddr(), client.Options{Customer: "shop", Secret: secret, ClientName: "startup-test"})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Submit(ctx, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Text: "first",
			ClientRef: "first-" + strconv.Itoa(i), Sender: "0212345678", Recipient: "01012345678"})
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != upstreampb.Status_OK {
			t.Errorf("node %d's first submit with a client_ref: %v %q", i+1, resp.Status, resp.Reason)
		}
	}
}
