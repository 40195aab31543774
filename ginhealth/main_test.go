package ginhealth_test

import (
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // no debug route listing in the test output
	goleak.VerifyTestMain(m)
}
