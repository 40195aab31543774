package core

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestCheckOperatorValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		check Check
		want  string // in the error; "" for none
	}{
		{"all set", Check{Owner: "team-data", Runbook: "https://runbooks.example.com/db#failover", Hint: "failover is automatic"}, ""},
		{"http runbook", Check{Runbook: "http://wiki.internal/db"}, ""},
		{"long owner", Check{Owner: strings.Repeat("o", 65)}, "Owner is longer than 64 bytes"},
		{"control in owner", Check{Owner: "team\ndata"}, "Owner holds invalid UTF-8 or a control"},
		{"bidi in hint", Check{Hint: "page \u202eme"}, "Hint holds invalid UTF-8 or a control"},
		{"invalid UTF-8 hint", Check{Hint: "\xff"}, "Hint holds invalid UTF-8"},
		{"long hint", Check{Hint: strings.Repeat("h", 257)}, "Hint is longer than 256 bytes"},
		{"long runbook", Check{Runbook: "https://x.example/" + strings.Repeat("a", 256)}, "Runbook is longer than 256 bytes"},
		{"relative runbook", Check{Runbook: "/runbooks/db"}, `Runbook must be an absolute http or https URL, got scheme ""`},
		{"javascript runbook", Check{Runbook: "javascript:alert(1)"}, `got scheme "javascript"`},
		{"no host", Check{Runbook: "https:///db"}, "Runbook has no host"},
		{"user info", Check{Runbook: "https://bob:hunter2@wiki.example/db"}, "Runbook must not hold user info"},
		{"space", Check{Runbook: "https://wiki.example/a b"}, "must escape"},
		{"token in the query", Check{Runbook: "https://wiki.example/db?access_token=hunter2"}, `Runbook's query parameter "access_token" looks like a secret`},
		{"signed URL", Check{Runbook: "https://s3.example/rb.html?X-Amz-Signature=hunter2"}, `Runbook's query parameter "X-Amz-Signature" looks like a secret`},
		{"api key", Check{Runbook: "https://wiki.example/db?api-key=hunter2"}, "looks like a secret"},
		{"harmless query", Check{Runbook: "https://wiki.example/x?spaceKey=OPS&title=DB&author=bob#failover"}, ""},
		{"not a URL", Check{Runbook: "https://wiki.example/%zz"}, "Runbook is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.check
			c.Name, c.Check = "db", ok
			_, err := c.normalize(DefaultTimeout)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("normalize: %v", err)
			case tt.want != "" && (!errors.Is(err, ErrInvalidCheck) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("normalize = %v; want ErrInvalidCheck saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error holds the runbook's password: %v", err)
			}
		})
	}
}

// Owner, runbook and hint reach the reports, CheckInfo and the log line of
// a status change.
func TestCheckOperatorShown(t *testing.T) {
	t.Parallel()
	var logs safeBuffer
	r := newTestRegistry(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	_ = r.Register(Check{Name: "db", Check: func(context.Context) error { return errors.New("check failed") }, Owner: "team-data", Runbook: "https://runbooks.example.com/db", Hint: "check the primary"})
	_ = r.Register(Check{Name: "plain", Check: ok})
	ctx := context.Background()
	for _, tt := range []struct {
		name, accept, want, not string
	}{
		{"json", "", `"critical":true,"owner":"team-data","runbook":"https://runbooks.example.com/db","hint":"check the primary"}`, `"plain":{"status":"ok","message":"","duration_ms":0,"last_success":null,"consecutive_failures":0,"critical":true,"owner"`},
		{"health+json", "application/health+json", `"output":"failed","links":{"help":"https://runbooks.example.com/db"},"owner":"team-data","hint":"check the primary"}]`, `"plain:responseTime":[{"componentId":"plain","observedValue":0,"observedUnit":"ms","status":"pass","time":null,"links"`},
	} {
		p := r.Probe(ctx, ProbeRequest{Method: "GET", Kind: Readiness, Accept: tt.accept})
		if !strings.Contains(string(p.Body), tt.want) {
			t.Errorf("%s lacks %s:\n%s", tt.name, tt.want, p.Body)
		}
		if strings.Contains(string(p.Body), tt.not) {
			t.Errorf("%s: a check without operator fields has some:\n%s", tt.name, p.Body)
		}
	}
	info := r.Checks()
	if info[0].Owner != "team-data" || info[0].Runbook != "https://runbooks.example.com/db" || info[0].Hint != "check the primary" || info[1].Owner != "" {
		t.Errorf("Checks() = %+v", info)
	}
	want := `msg="probekit: check unavailable" component=check name=db from=unknown to=unavailable reason=failed error="check failed" owner=team-data runbook=https://runbooks.example.com/db hint="check the primary"`
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %s:\n%s", want, logs.String())
	}
	if strings.Contains(logs.String(), "name=plain from=unknown to=ok owner") {
		t.Errorf("log gives plain an owner:\n%s", logs.String())
	}
}
