package faultproxy_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"syscall"
	"time"

	"github.com/probekit/probekit/integration/faultproxy"
)

// A proxy in front of an echo server: healthy, refusing, healed.
func ExampleProxy() {
	upstream, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer upstream.Close()
	go func() { // echo one connection at a time until the listener closes
		for {
			c, err := upstream.Accept()
			if err != nil {
				return
			}
			_, _ = io.Copy(c, c)
			c.Close()
		}
	}()

	p, err := faultproxy.New(upstream.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	echo := func() string {
		c, err := net.Dial("tcp", p.Addr())
		if errors.Is(err, syscall.ECONNREFUSED) {
			return "connection refused"
		} else if err != nil {
			return err.Error()
		}
		defer c.Close()
		if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
			return err.Error()
		}
		if _, err := io.WriteString(c, "ping"); err != nil {
			return err.Error()
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil {
			return err.Error()
		}
		return string(buf)
	}

	fmt.Println(echo())
	_ = p.Refuse()
	fmt.Println(echo())
	_ = p.Heal()
	fmt.Println(echo())
	// Output:
	// ping
	// connection refused
	// ping
}
