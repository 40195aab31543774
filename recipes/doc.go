// Package recipes holds the checks of docs/recipes.md: for each client a
// service already holds (a pgx pool, a go-redis client, a NATS or RabbitMQ
// connection, a Kafka, MongoDB, S3 or gRPC client), the registration that
// checks the dependency through that client, with the timeout and the
// Optional/Kinds advice that suit it.
//
// The module is never published and never imported by core: it exists so
// that the guide's code compiles and runs. Each exported function is one
// recipe, and its body, but the last "return nil", is exactly a block of
// docs/recipes.md (TestGuideMatchesCode holds them equal). A service copies
// the block rather than importing the function:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	defer pool.Close()
//	if err := recipes.Pgxpool(h, pool); err != nil { // or paste its body
//		return err
//	}
//	if err := h.Start(ctx); err != nil { // the recipes run in the background
//		return err
//	}
//
// The tests run the recipes whose servers run on the development machine
// and in CI against them (PostgreSQL, Redis, NATS, RabbitMQ, at the
// addresses of PROBEKIT_POSTGRES_DSN, PROBEKIT_REDIS_ADDR,
// PROBEKIT_NATS_ADDR and PROBEKIT_AMQP_ADDR, else the standard loopback
// ports), healthy and failing; a server that is not there skips its test,
// or fails it when CI=true. Every failing case checks that a password given
// to the client appears in no reason, probe body or log line.
//
// # Dependencies
//
// Each one is the client a recipe is about, at the newest version the Go
// module proxy served when the module was written; nothing else is
// required directly:
//
//   - github.com/jackc/pgx/v5: the PostgreSQL driver most Go services use
//     without database/sql; its pgxpool is what they hold (the same version
//     the integration module tests the SQL checks with).
//   - github.com/redis/go-redis/v9: the Redis client of the README and of
//     breakerredis, at their version.
//   - github.com/nats-io/nats.go: the NATS client; there is no other.
//   - github.com/rabbitmq/amqp091-go: RabbitMQ's own AMQP 0-9-1 client, the
//     maintained fork of streadway/amqp.
//   - github.com/twmb/franz-go: chosen over IBM/sarama for its Ping that
//     takes a context (sarama's client calls take none) and a smaller
//     dependency tree (no Kerberos, no metrics library).
//   - go.mongodb.org/mongo-driver/v2: the current major version of the
//     official driver.
//   - github.com/aws/aws-sdk-go-v2/service/s3 (and the SDK's aws package):
//     the AWS SDK for Go v2; only the S3 client, not the config loader,
//     which the recipe does not need.
//   - google.golang.org/grpc: the gRPC client and its health service
//     stubs, at grpchealth's version.
//   - go.uber.org/goleak, for the tests: every client starts goroutines,
//     and each test proves it closed them.
package recipes
