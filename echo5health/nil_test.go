package echo5health_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/probekit/probekit/echo5health"
)

func TestRegisterNilRegistry(t *testing.T) {
	t.Parallel()
	e := echo.New()
	e.Use(echo5health.Drain(nil))
	echo5health.Register(e, nil)
	e.GET("/orders", func(c *echo.Context) error { return c.String(http.StatusOK, "ok") })
	for path, want := range map[string]int{"/readyz": 500, "/livez/db": 500, "/orders": 200} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want {
			t.Errorf("%s with a nil registry: %d, want %d", path, w.Code, want)
		}
	}
}
