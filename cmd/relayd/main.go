// Command relayd is the relay daemon. It only wires: flags, configuration,
// the log handler, signals, and one call to relay.Run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Seoul whatever the host has installed

	"github.com/msgrelay/relay/relay"
)

func main() {
	path := flag.String("config", "configs/dev.toml", "configuration file (TOML)")
	check := flag.Bool("check-config", false, "validate the configuration and exit")
	level := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, "relayd:", err)
		os.Exit(2)
	}
	cfg, err := relay.LoadConfig(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relayd:", err)
		os.Exit(2)
	}
	if *check {
		if err := cfg.CheckSecrets(); err != nil {
			fmt.Fprintln(os.Stderr, "relayd:", err)
			os.Exit(2)
		}
		fmt.Printf("relayd: %s is valid\n", *path)
		return
	}
	hopts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, hopts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, hopts)
	}
	log := slog.New(h)
	gc, limit, err := cfg.Runtime.Apply(os.Getenv)
	if err != nil {
		log.Error("relayd: runtime", "err", err)
		os.Exit(2)
	}
	log.Info("relayd: garbage collector", "gc_percent", gc, "memory_limit_bytes", limit)

	// Message texts and numbers are written to disk: files 0600, dirs 0700.
	syscall.Umask(0o077)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Stop(sigs) // a second signal stops the process at once
		log.Info("relayd: draining", "signal", s.String(), "timeout", cfg.ShutdownTimeout.D())
		stop()
	}()
	// SIGHUP reloads the configuration file (relay.Daemon.Reload).
	hup, reload := make(chan os.Signal, 1), make(chan struct{}, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			log.Info("relayd: reloading", "signal", "hangup", "config", *path)
			select {
			case reload <- struct{}{}:
			default: // a reload is already asked for
			}
		}
	}()
	load := func() (*relay.Config, error) { return relay.LoadConfig(*path) }
	if err := relay.Run(ctx, cfg, relay.Options{Logger: log, LoadConfig: load, Reload: reload}); err != nil {
		log.Error("relayd: exit", "err", err)
		os.Exit(1)
	}
	log.Info("relayd: stopped")
}
