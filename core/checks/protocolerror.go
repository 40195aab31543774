package checks

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/probekit/probekit/core"
)

// protocolError is a protocol-level failure of a message-queue check: the
// server answered, but not with what the check expects. reason is the
// check's own phrase (at most a protocol code is added to it) and is safe to
// show; detail holds what the server said, scrubbed of the check's secrets,
// escaped and bounded, for the underlying error.
type protocolError struct {
	proto  string // "nats", "amqp", "mqtt"
	reason string
	detail string
}

func (e *protocolError) Error() string { return e.proto + ": " + e.detail }

// protocolFailure is the error of a failed run of a protocol check labelled
// label: the protocolError's reason when the server answered wrongly, else a
// classification of err as [failure] makes it.
func protocolFailure(ctx context.Context, label string, budget time.Duration, err error) error {
	var pe *protocolError
	if errors.As(err, &pe) {
		return core.Unhealthy(label+": "+pe.reason, err)
	}
	return failure(ctx, label, budget, err)
}

// scrubber removes secrets from server text before it reaches an error.
// Servers do not echo credentials, but whatever answers on the port might.
type scrubber []string

// newScrubber returns a scrubber for the non-empty secrets.
func newScrubber(secrets ...string) scrubber {
	var s scrubber
	for _, v := range secrets {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// excerpt returns a quoted, escaped excerpt of at most n bytes of server
// text, with every secret replaced before and after quoting (the escapes of
// the quoted text could spell a secret that holds a backslash).
func (s scrubber) excerpt(text string, n int) string {
	return s.scrub(quote(s.scrub(text), n))
}

func (s scrubber) scrub(text string) string {
	for _, v := range s {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}
