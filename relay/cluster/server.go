package cluster

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startServer starts the embedded NATS server: one server of the cluster
// its routes name, JetStream on, its data under dataDir/nats unless
// store_dir says otherwise. It returns once the server takes clients; the
// cluster's quorum may come later, when enough of its servers are up.
func startServer(c *Config, dataDir string, log *slog.Logger) (*server.Server, error) {
	host, port, err := splitHostPort(c.Embed.Listen)
	if err != nil {
		return nil, fmt.Errorf("cluster: embed.listen: %w", err)
	}
	dir := c.Embed.StoreDir
	if dir == "" {
		dir = filepath.Join(dataDir, "nats")
	}
	o := &server.Options{
		ServerName: c.Node,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true, // the relay owns the process's signals
		HTTPPort:   0,
	}
	if c.Embed.ClusterListen != "" {
		ch, cp, err := splitHostPort(c.Embed.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("cluster: embed.cluster_listen: %w", err)
		}
		o.Cluster = server.ClusterOpts{Name: c.Embed.ClusterName, Host: ch, Port: cp}
		for _, r := range c.Embed.Routes {
			o.Routes = append(o.Routes, &url.URL{Scheme: "nats-route", Host: r})
		}
	}
	s, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS server: %w", err)
	}
	s.SetLoggerV2(&natsLog{log: log.With("nats", c.Node)}, false, false, false)
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("cluster: embedded NATS server on %s did not start", c.Embed.Listen)
	}
	return s, nil
}

func splitHostPort(hp string) (string, int, error) {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, err
	}
	if n == 0 {
		n = -1 // the server's word for a port the OS picks
	}
	return h, n, nil
}

// natsLog writes the embedded server's log through the relay's: notices at
// debug level (the server is chatty at start-up), warnings and errors as
// such.
type natsLog struct{ log *slog.Logger }

func (l *natsLog) Noticef(f string, v ...any) { l.log.Debug(fmt.Sprintf(f, v...)) }
func (l *natsLog) Warnf(f string, v ...any)   { l.log.Warn(fmt.Sprintf(f, v...)) }
func (l *natsLog) Fatalf(f string, v ...any)  { l.log.Error(fmt.Sprintf(f, v...)) }
func (l *natsLog) Errorf(f string, v ...any)  { l.log.Error(fmt.Sprintf(f, v...)) }
func (l *natsLog) Debugf(f string, v ...any)  {}
func (l *natsLog) Tracef(f string, v ...any)  {}
