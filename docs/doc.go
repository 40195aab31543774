// Package docs has no API. It is the module of README.md and docs/*.md, and
// its test compiles every Go block of them the way a reader would paste it
// (see snippet_test.go for the comment that says how a block is compiled).
//
// It is a module of its own because the blocks use every public module
// (core, core/checks, breaker and the four adapters with their frameworks):
// no other module depends on all of them, and none should just for a test.
package docs
