package docs_test

// The packages the docs' Go blocks import. The blocks are compiled as
// packages of this module, which can import only what its go.mod requires;
// importing them here keeps them in go.mod and go.sum through go mod tidy.
import (
	_ "github.com/gin-gonic/gin"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/go-chi/chi/v5/middleware"
	_ "github.com/gofiber/fiber/v2"
	_ "github.com/gofiber/fiber/v2/middleware/recover"
	_ "github.com/gofiber/fiber/v3"
	_ "github.com/gofiber/fiber/v3/middleware/recover"
	_ "github.com/gorilla/mux"
	_ "github.com/labstack/echo/v4"
	_ "github.com/labstack/echo/v4/middleware"
	_ "github.com/open-feature/go-sdk/openfeature"
	_ "github.com/labstack/echo/v5"
	_ "github.com/labstack/echo/v5/middleware"
	_ "github.com/probekit/probekit/breaker"
	_ "github.com/probekit/probekit/breakerredis"
	_ "github.com/probekit/probekit/chihealth"
	_ "github.com/probekit/probekit/connecthealth"
	_ "github.com/probekit/probekit/core"
	_ "github.com/probekit/probekit/core/checks"
	_ "github.com/probekit/probekit/echo5health"
	_ "github.com/probekit/probekit/echohealth"
	_ "github.com/probekit/probekit/fiber3health"
	_ "github.com/probekit/probekit/fiberhealth"
	_ "github.com/probekit/probekit/ginhealth"
	_ "github.com/probekit/probekit/openfeaturehealth"
	_ "github.com/probekit/probekit/otelhealth"
	_ "github.com/probekit/probekit/promhealth"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/redis/go-redis/v9"
)
