package recipes_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// No MongoDB runs here: the recipe runs against a port where nothing
// listens, with a password in the URI that must not show. Server selection
// keeps trying until the check's deadline, so the reason is the timeout.
func TestMongoUnreachable(t *testing.T) {
	t.Parallel()
	uri := (&url.URL{Scheme: "mongodb", User: url.UserPassword("probekit", secret), Host: closedAddr(t), Path: "/"}).String()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	probe(t, func(h *core.Registry) error { return recipes.Mongo(h, client) }).failed(t, "timeout", secret)
}
