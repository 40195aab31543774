package demo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Error is the JSON body of every error answer of the business routes.
type Error struct {
	Error string `json:"error"`
}

// Order answers GET /orders/{id}: it returns the status code and the value
// to send as JSON, an [Order] or an [Error]. Each framework writes them with
// its own JSON encoder.
func (a *App) Order(ctx context.Context, id string) (int, any) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 1 {
		return http.StatusBadRequest, Error{"id: want a positive integer, got " + strconv.Quote(id)}
	}
	o, err := a.Store.Order(ctx, n)
	switch {
	case err == nil:
		return http.StatusOK, o
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, Error{"order " + id + " not found"}
	case errors.Is(err, ErrMigrating):
		return http.StatusServiceUnavailable, Error{"starting"}
	}
	a.Logger.ErrorContext(ctx, "GET /orders/{id}", "id", n, "err", err)
	return http.StatusInternalServerError, Error{"internal error"}
}

// WriteJSON writes v as the JSON body of a response with the given code,
// for the net/http-based examples.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
