package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalContext returns the context every command runs under: it ends at
// the first SIGINT or SIGTERM, and a second one ends prefectgen at once.
// A closed output pipe (prefectgen generate | head -1) makes writes to
// it fail instead of killing prefectgen midway through writing files.
func signalContext() context.Context {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the next signal gets the default action: exit
	}()
	return ctx
}
