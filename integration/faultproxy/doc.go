// Package faultproxy is a loopback TCP proxy for tests that puts network
// faults between a client and a real server: refused connections, a peer
// that accepts and never answers, connections cut mid-reply, and added
// latency, each switchable at run time and healable.
//
//	p, err := faultproxy.New("127.0.0.1:6379")
//	if err != nil { ... }
//	defer p.Close()
//	check, _ := checks.Redis(p.Addr(), checks.RedisOptions{})
//
//	_ = p.Blackhole()                       // accepts, never answers
//	_ = p.CutAfter(3)                       // "+PO" and the connection drops
//	_ = p.SetLatency(400 * time.Millisecond) // every reply chunk waits
//	_ = p.Refuse()                          // connection refused
//	_ = p.Heal()                            // back to normal, same address
//
// The proxy listens on 127.0.0.1 only. Faults apply to new connections at
// once and to open ones from their next chunk of data; Refuse also closes the
// open ones, as a crashing server would.
package faultproxy
