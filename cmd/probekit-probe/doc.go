// Command probekit-probe probes a service once and says so in its exit
// status: for Kubernetes exec probes and Docker's HEALTHCHECK, in images
// that have no shell, curl or wget (distroless, scratch).
//
//	# Dockerfile (exec form: there is no shell to run the string form)
//	COPY --from=build /out/probekit-probe /probekit-probe
//	HEALTHCHECK CMD ["/probekit-probe", "http://127.0.0.1:8080/readyz"]
//
//	probekit-probe http://127.0.0.1:8080/readyz                  # 0: 200-399
//	probekit-probe --timeout 2s --header 'Authorization: Bearer x' https://127.0.0.1:8443/livez
//	probekit-probe grpc 127.0.0.1:9090 --service readiness       # 0: SERVING
//
// Install it with
//
//	CGO_ENABLED=0 go install github.com/probekit/probekit/cmd/probekit-probe@latest
//
// # Semantics operators already know
//
// HTTP follows the kubelet's httpGet prober (k8s.io/kubernetes/pkg/probe/http):
// one GET with Accept: */* and a User-Agent of its own, no proxy, no
// keep-alive; status 200-399 is a success; redirects are followed up to
// 10 times while the host name stays the same, and a redirect to another
// host is not followed: the 3xx counts as a success with a warning on
// standard error (so is one from https to http, which the kubelet follows:
// it would send the headers, a token say, in plaintext); at most 10 KiB of the body is read, and the body is never
// printed. The default timeout is the kubelet's 1s and covers the whole
// probe. One difference, on purpose: the kubelet never verifies an https
// certificate; probekit-probe does, unless --insecure-skip-verify is given
// (or --ca-cert names the roots to verify with).
//
// gRPC follows grpc-health-probe: one grpc.health.v1.Health/Check, plaintext
// unless --tls; SERVING is a success, every other answer a failure. Its
// -connect-timeout and -rpc-timeout are one --timeout here (the kubelet's
// grpc probe also has one), -tls-no-verify is --insecure-skip-verify,
// -tls-ca-cert is --ca-cert and -rpc-header is --header, the names the HTTP
// probe uses, so that each thing has one name. Not carried over: client
// certificates (-tls-client-cert, -tls-client-key), -tls-server-name,
// -user-agent, -gzip and -spiffe; a probe of a loopback port rarely needs
// them, and each would be a flag to keep.
//
// # Exit status
//
//	0  healthy
//	1  unhealthy or unreachable, with the reason on standard error
//	2  usage error: unknown flag, missing or bad URL or address, bad
//	   timeout or header, unreadable --ca-cert
//
// grpc-health-probe's statuses are 1 for invalid arguments, 2 for a
// connection failure, 3 for an RPC failure and 4 for an unhealthy service.
// Here 2, 3 and 4 are all 1 (the reason says "connection failure",
// "RPC failure", "unhealthy" or "unknown service"), and its 1 is 2. The
// readers of the status decide: Docker's HEALTHCHECK defines 0 as healthy
// and 1 as unhealthy and reserves 2, and the kubelet only tells zero from
// non-zero; the one distinction left worth a status of its own is a probe
// that is misconfigured rather than a service that is failing, and 2 is the
// usual status for a usage error (Go's flag package exits 2).
//
// # What reaches the terminal
//
// The reason is one line. It never holds the URL's user information or
// query (tokens live there), header values or the response body, and every
// piece of text from the server (an error, a redirect target, a gRPC status
// message) is escaped, so a hostile server cannot inject terminal control
// sequences or forge extra lines. A success prints one line on standard
// output, which Docker keeps in the container's health log.
//
// # Dependencies
//
// Only the standard library and google.golang.org/grpc (the gRPC health
// client; there is no smaller correct one). It does not import probekit's
// core on purpose: the probe must work against any service, it is copied
// into images beside the service's own binary, and every dependency is
// size and attack surface in a binary that runs every few seconds in every
// container. Built with CGO_ENABLED=0 it is static, so it runs in
// distroless/static and scratch images.
package main
