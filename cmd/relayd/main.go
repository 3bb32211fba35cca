// Command relayd is the relay daemon. It only wires: flags, configuration,
// signals, and one call to relay.Run.
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
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))

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
		for _, w := range cfg.Warnings() {
			fmt.Fprintln(os.Stderr, "relayd: warning:", w)
		}
		fmt.Printf("relayd: %s is valid\n", *path)
		return
	}
	// Message texts and numbers are written to disk: files 0600, dirs 0700.
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := relay.Run(ctx, cfg, relay.Options{Logger: log}); err != nil {
		log.Error("relayd: exit", "err", err)
		os.Exit(1)
	}
}
