package recipes

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/probekit/probekit/core"
)

// S3 registers the readiness check of an aws-sdk-go-v2 S3 client
// (github.com/aws/aws-sdk-go-v2/service/s3): HeadBucket proves that the
// bucket exists and that the client's credentials may use it, without
// transferring an object. Expired or revoked credentials fail it (a 403),
// which is the failure S3 users meet most. When S3 answers, the reason is
// its HTTP status (403: the credentials, 404: no such bucket), never the
// error's text, which names the bucket and the request.
//
// The check is Optional: uploads and downloads fail while S3 is away, the
// rest of the service works. It runs every 30 s because each call is a
// billed request, made by every pod. The SDK retries a throttled or failed
// request within the context's deadline. It returns Register's error.
func S3(h *core.Registry, client *s3.Client, bucket string) error {
	if err := h.Register(core.Check{
		Name: "s3",
		Check: func(ctx context.Context) error {
			_, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
			var answer interface{ HTTPStatusCode() int } // S3 answered: 403 credentials, 404 no bucket
			if errors.As(err, &answer) {
				return core.Unhealthy("s3: status "+strconv.Itoa(answer.HTTPStatusCode()), err)
			}
			return err
		},
		Optional: true, // uploads fail, the rest of the service works
		Timeout:  2 * time.Second,
		Interval: 30 * time.Second, // each call is a billed request
	}); err != nil {
		return err
	}
	return nil
}
