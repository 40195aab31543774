// Package demo is what the example services share, so that each example's
// main shows only its framework's wiring: the configuration (flags and
// environment), an SQLite store whose migrations make a real startup phase,
// the health checks and their policy, and the framework-neutral business
// handlers GET /orders/{id} and GET /slow?ms=N.
//
// An example's main is one call:
//
//	func main() { os.Exit(demo.Main("chi", os.Args[1:], serve)) }
//
// where serve builds the router around app.Health and runs it until SIGTERM.
package demo
