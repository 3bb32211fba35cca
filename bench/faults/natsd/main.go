// Command natsd runs one NATS server with JetStream, built from the
// module's nats-server, as its own process: the cluster scenario of
// bench/faults runs three and kills one with SIGKILL, which an embedded
// server cannot be killed alone.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	var (
		name    = flag.String("name", "", "server name, unique in the cluster")
		listen  = flag.String("listen", "127.0.0.1:4222", "client address")
		cluster = flag.String("cluster", "", "route address the other servers connect to")
		routes  = flag.String("routes", "", "every server's route address, comma-separated, this one's included")
		store   = flag.String("store", "", "JetStream directory")
		cname   = flag.String("cluster-name", "relay", "cluster name")
	)
	flag.Parse()
	o := &server.Options{ServerName: *name, JetStream: true, StoreDir: *store, NoSigs: true}
	var err error
	if o.Host, o.Port, err = hostPort(*listen); err != nil {
		fail(err)
	}
	if *cluster != "" {
		h, p, err := hostPort(*cluster)
		if err != nil {
			fail(err)
		}
		o.Cluster = server.ClusterOpts{Name: *cname, Host: h, Port: p}
		for _, r := range strings.Split(*routes, ",") {
			o.Routes = append(o.Routes, &url.URL{Scheme: "nats-route", Host: strings.TrimSpace(r)})
		}
	}
	s, err := server.NewServer(o)
	if err != nil {
		fail(err)
	}
	s.ConfigureLogger()
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		fail(fmt.Errorf("not ready on %s", *listen))
	}
	fmt.Fprintln(os.Stderr, "natsd: ready", s.ClientURL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Shutdown()
	s.WaitForShutdown()
}

func hostPort(hp string) (string, int, error) {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	return h, n, err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "natsd:", err)
	os.Exit(1)
}
