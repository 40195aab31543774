package main

import "github.com/gofiber/fiber/v2"

// The reader's handler, for fiber.
func getOrder(*fiber.Ctx) error { return nil }
