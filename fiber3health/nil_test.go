package fiber3health_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/probekit/probekit/fiber3health"
)

func TestRegisterNilRegistry(t *testing.T) {
	t.Parallel()
	app := fiber.New()
	app.Use(fiber3health.Drain(nil))
	fiber3health.Register(app, nil)
	app.Get("/orders", func(c fiber.Ctx) error { return c.SendString("ok") })
	for path, want := range map[string]int{"/readyz": 500, "/livez/db": 500, "/orders": 200} {
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s with a nil registry: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
