package main

import "github.com/gin-gonic/gin"

// The reader's handler, for gin.
func getOrder(*gin.Context) {}
