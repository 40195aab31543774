package main

import (
	"context"
	"database/sql"
)

// What the README's blocks assume the reader already has.
var (
	db      *sql.DB
	version string
)

func pingRedis(context.Context) error { return nil }

// The reader's worker loop, for the heartbeat example.
var messages chan string

func handle(string) {}
