package main

import "github.com/labstack/echo/v4"

// The reader's handler, for echo.
func getOrder(echo.Context) error { return nil }
