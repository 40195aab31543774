package main

import "net/http"

// The reader's handler, for net/http and chi.
func getOrder(http.ResponseWriter, *http.Request) {}
