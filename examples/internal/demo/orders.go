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

// OrderPage is the answer of GET /orders/{id}: the order and, while the
// feature "recommendations" is on, what to buy with it.
type OrderPage struct {
	Order
	Recommendations []string `json:"recommendations,omitempty"`
}

// Order answers GET /orders/{id}: it returns the status code and the value
// to send as JSON, an [OrderPage] or an [Error]. Each framework writes them
// with its own JSON encoder. Recommendations come with the order only while
// App.Recommendations is enabled (Redis answers): the page degrades instead
// of failing.
func (a *App) Order(ctx context.Context, id string) (int, any) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 1 {
		return http.StatusBadRequest, Error{"id: want a positive integer, got " + strconv.Quote(id)}
	}
	o, err := a.Store.Order(ctx, n)
	switch {
	case err == nil:
		page := OrderPage{Order: o}
		if a.Recommendations.Enabled() { // an atomic load on the request path
			page.Recommendations = []string{"Gift wrap", "Express shipping"}
		}
		return http.StatusOK, page
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
