// Command delayproxy forwards TCP connections between loopback addresses,
// delaying every byte by -delay in each direction (see internal/delayproxy).
// scripts/bench.sh runs it in front of nginx:
//
//	go run ./scripts/delayproxy -upstream 127.0.0.1:8443 -delay 25ms
//
// It prints the address it listens on, one line, then serves until
// interrupted.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wacheck/wacheck/internal/delayproxy"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback IP:port to listen on (port 0: any free port)")
	upstream := flag.String("upstream", "", "loopback IP:port to forward to")
	delay := flag.Duration("delay", 25*time.Millisecond, "delay added to every byte in each direction")
	flag.Parse()
	if *upstream == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: delayproxy -upstream 127.0.0.1:PORT [-listen 127.0.0.1:0] [-delay 25ms]")
		os.Exit(2)
	}
	p, err := delayproxy.Listen(*listen, *upstream, *delay)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(p.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	p.Close()
}
