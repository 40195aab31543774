package recipes_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
)

// No S3 runs here: the recipe is run against a fake endpoint that answers
// HeadBucket as S3 does (200 for a bucket these credentials may use, 403
// for one they may not, 404 for none), with the SDK's real client, signing
// and error handling.
func TestS3(t *testing.T) {
	t.Parallel()
	const accessKey = "AKIAPROBEKITRECIPES"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodHead:
			w.WriteHeader(http.StatusMethodNotAllowed)
		case !strings.Contains(r.Header.Get("Authorization"), "Credential="+accessKey+"/"):
			w.WriteHeader(http.StatusForbidden) // unsigned: the SDK did not sign with the client's credentials
		case r.URL.Path == "/uploads":
			w.Header().Set("X-Amz-Bucket-Region", "eu-west-1")
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/someone-elses":
			w.WriteHeader(http.StatusForbidden)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(), // its idle connections close with srv
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secret}, nil
		}),
	})
	for _, tt := range []struct{ bucket, want string }{
		{"uploads", ""},
		{"someone-elses", "s3: status 403"},
		{"missing", "s3: status 404"},
	} {
		t.Run(tt.bucket, func(t *testing.T) {
			t.Parallel()
			s := probe(t, func(h *core.Registry) error { return recipes.S3(h, client, tt.bucket) })
			if tt.want == "" {
				s.healthy(t)
				return
			}
			s.failed(t, tt.want, secret, "Signature=")
		})
	}
}
