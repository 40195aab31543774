package demo

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// MaxSlow is the longest sleep GET /slow accepts. It is longer than the
// default drain timeout (20s) on purpose, so that an abandoned request can
// be shown as well as a drained one.
const MaxSlow = 30 * time.Second

// Slept is the JSON body of a completed GET /slow.
type Slept struct {
	SleptMS int64 `json:"slept_ms"`
}

// Slow answers GET /slow?ms=N: it sleeps N milliseconds (0 <= N <= 30000)
// and returns the status code and the value to send as JSON, [Slept] or
// [Error]; a bad N is a 400. It returns early, with 503, only when ctx ends,
// which in the examples means the client went away: shutdown lets it finish.
func Slow(ctx context.Context, ms string) (int, any) {
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n < 0 || n > MaxSlow.Milliseconds() {
		return http.StatusBadRequest, Error{"ms: want an integer in [0, " + strconv.FormatInt(MaxSlow.Milliseconds(), 10) + "], got " + strconv.Quote(ms)}
	}
	if err := sleep(ctx, time.Duration(n)*time.Millisecond); err != nil {
		return http.StatusServiceUnavailable, Error{"canceled"}
	}
	return http.StatusOK, Slept{SleptMS: n}
}
