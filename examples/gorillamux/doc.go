// Package gorillamux shows, in its tests, that github.com/gorilla/mux needs
// no probekit adapter: core's probe handler is an http.Handler for a route,
// the registry's Drain is a mux.MiddlewareFunc as it is
// (func(http.Handler) http.Handler), and the registry runs the
// http.Server the router is the handler of:
//
//	r := mux.NewRouter()
//	r.Use(h.Drain) // in-flight tracking; probes are not counted
//	r.HandleFunc("/orders/{id}", getOrder).Methods(http.MethodGet)
//	r.PathPrefix("/").Handler(h.Handler()) // last: /livez /readyz /startupz, /readyz/{check}
//	return h.ListenAndServe(ctx, &http.Server{Addr: ":8080", Handler: r})
//
// gorilla/mux matches routes in the order they were added, so the probes'
// catch-all goes last; under a prefix, mount h.HandlerAt("/internal") on
// r.PathPrefix("/internal/"). Middleware added with Use runs for matched
// routes only: a request no route matches (gorilla's own 404 or 405) is
// not counted, which costs nothing since it does not wait on anything.
package gorillamux
