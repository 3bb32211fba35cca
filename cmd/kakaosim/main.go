// Command kakaosim runs the simulated Kakao BizMessage API (package
// kakaobiz/kakaotest) for development and benchmarks.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
)

func main() {
	var cfg kakaotest.Config
	mix := flag.String("mix", "1000:1", "outcome:weight,… (Kakao codes, http500, http503, http429, timeout, reset, garbage, huge)")
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:8089", "listen address")
	flag.StringVar(&cfg.ClientID, "client-id", "relay", "OAuth client id")
	flag.StringVar(&cfg.ClientSecret, "client-secret", "secret", "OAuth client secret")
	flag.DurationVar(&cfg.TokenTTL, "token-ttl", 0, "access token lifetime (default 1h)")
	flag.DurationVar(&cfg.Latency, "latency", 0, "added to every send and lookup")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the outcome mix")
	flag.DurationVar(&cfg.RetryAfter, "retry-after", 0, "Retry-After of 429/5xx (default 1s)")
	flag.DurationVar(&cfg.Hold, "hold", 0, "how long a timeout outcome holds its answer (default 10s)")
	flag.DurationVar(&cfg.FinalAfter, "final-after", 0, "when a 3005 turns final")
	flag.StringVar(&cfg.FinalCode, "final-code", "1000", "final code of a 3005")
	flag.Parse()

	var err error
	if cfg.Mix, err = kakaotest.ParseMix(*mix); err != nil {
		fmt.Fprintln(os.Stderr, "kakaosim:", err)
		os.Exit(2)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := kakaotest.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "kakaosim:", err)
		os.Exit(1)
	}
}
