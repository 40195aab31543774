package main

import "github.com/gofiber/fiber/v3"

// The reader's handler, for fiber v3.
func getOrder(fiber.Ctx) error { return nil }
