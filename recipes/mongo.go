package recipes

import (
	"context"
	"time"

	"github.com/probekit/probekit/core"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// Mongo registers the readiness check of a MongoDB Go driver v2 client
// (go.mongodb.org/mongo-driver/v2): Ping with [readpref.Primary] selects
// the primary and runs the hello command there, so it fails while the
// replica set has no primary (an election), when writes would fail too.
// A service that only reads from secondaries pings readpref.Nearest
// instead.
//
// Server selection waits for a primary until the context's deadline (the
// client's ServerSelectionTimeout, 30 s by default, is longer), so the
// Timeout bounds the check. The check is critical, as a primary store is.
// It returns Register's error.
func Mongo(h *core.Registry, client *mongo.Client) error {
	if err := h.Register(core.Check{
		Name:     "mongodb",
		Check:    func(ctx context.Context) error { return client.Ping(ctx, readpref.Primary()) },
		Timeout:  2 * time.Second, // an election takes seconds: let a ping ride out a short one
		Interval: 5 * time.Second,
	}); err != nil {
		return err
	}
	return nil
}
