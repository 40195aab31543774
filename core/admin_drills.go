package core

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// drillRoutes are the admin handler's drill resource.
func (a *admin) drillRoutes() []adminRoute {
	return []adminRoute{
		{http.MethodGet, "/drills", a.listDrills},
		{http.MethodPut, "/checks/{name}/drill", a.startDrill},
		{http.MethodDelete, "/checks/{name}/drill", a.endDrill},
	}
}

// adminDrill is a drill in the admin handler's answers; the member names
// are those of the JSON report's "drill".
type adminDrill struct {
	Check  string    `json:"check"`
	Status string    `json:"status"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
}

func newAdminDrill(d Drill) adminDrill {
	return adminDrill{Check: d.Check, Status: d.Status.String(), Actor: d.Actor, Reason: d.Reason, Since: d.Since.UTC(), Until: d.Until.UTC()}
}

// drillRequest is the body of PUT /checks/{name}/drill.
type drillRequest struct {
	Status   string `json:"status"`
	Duration string `json:"duration"`
	Actor    string `json:"actor"`
	Reason   string `json:"reason"`
}

// endDrillRequest is the body of DELETE /checks/{name}/drill.
type endDrillRequest struct {
	Actor string `json:"actor"`
}

func (a *admin) listDrills(w http.ResponseWriter, req *http.Request, _ []string, log *slog.Logger) {
	log.Info("probekit admin: drills listed", "remote", oneLine(req.RemoteAddr))
	list := []adminDrill{}
	for _, d := range a.reg.Drills() {
		list = append(list, newAdminDrill(d))
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Drills []adminDrill `json:"drills"`
	}{list})
}

// check returns the name of the check called name, or answers 400 and
// returns false.
func (a *admin) check(w http.ResponseWriter, name string, log *slog.Logger) bool {
	if a.reg.lookup(name) == nil {
		a.refuse(w, log, "unknown check "+quote(name))
		return false
	}
	return true
}

// parseDrillRequest turns body into DrillOptions with durations capped at
// max, or returns the reason for a 400.
func parseDrillRequest(body drillRequest, max time.Duration) (DrillOptions, string) {
	var opts DrillOptions
	switch body.Status {
	case "unavailable", "failed":
		opts.Status = StatusUnavailable
	case "degraded":
		opts.Status = StatusDegraded
	case "":
		return opts, `missing field "status" ("unavailable" (or "failed") or "degraded")`
	default:
		return opts, `field "status" must be "unavailable" (or "failed") or "degraded", got ` + quote(body.Status)
	}
	if why := checkActor(body.Actor); why != "" {
		return opts, why
	}
	if body.Duration == "" {
		return opts, `missing field "duration" (how long the drill lasts, such as "15m"; at most ` + max.String() + ")"
	}
	d, err := time.ParseDuration(body.Duration)
	switch {
	case err != nil:
		return opts, `field "duration": ` + quote(body.Duration) + ` is not a duration such as "15m" or "1h30m"`
	case d <= 0:
		return opts, `field "duration" must be positive, got ` + d.String()
	case d > max:
		return opts, `field "duration" ` + d.String() + " is over the maximum " + max.String() + " (AdminOptions.MaxDuration)"
	case len(body.Reason) > maxDrillReasonLen:
		return opts, `field "reason" is longer than ` + strconv.Itoa(maxDrillReasonLen) + " bytes"
	}
	opts.Duration, opts.Actor, opts.Reason = d, body.Actor, body.Reason
	return opts, ""
}

func (a *admin) startDrill(w http.ResponseWriter, req *http.Request, params []string, log *slog.Logger) {
	name := params[0]
	if !a.check(w, name, log) {
		return
	}
	var body drillRequest
	if !readAdminJSON(w, req, &body) {
		log.Warn("probekit admin: refused: bad body", "check", name)
		return
	}
	opts, why := parseDrillRequest(body, a.max)
	if why != "" {
		a.refuse(w, log, why)
		return
	}
	if err := a.reg.Drill(name, opts); err != nil {
		if errors.Is(err, ErrClosed) {
			a.closed(w, req, log, "check", name)
			return
		}
		a.refuse(w, log, err.Error())
		return
	}
	log.Info("probekit admin: drill started", "check", name, "actor", oneLine(opts.Actor),
		"status", opts.Status.String(), "for", opts.Duration.String(), "reason", oneLine(Redact(opts.Reason)), "remote", oneLine(req.RemoteAddr))
	for _, d := range a.reg.Drills() {
		if d.Check == name {
			writeAdminJSON(w, http.StatusOK, newAdminDrill(d))
			return
		}
	}
	// Ended meanwhile (a tiny duration, or another operator).
	writeAdminJSON(w, http.StatusOK, struct {
		Check string `json:"check"`
		Ended bool   `json:"ended"`
	}{name, true})
}

func (a *admin) endDrill(w http.ResponseWriter, req *http.Request, params []string, log *slog.Logger) {
	name := params[0]
	if !a.check(w, name, log) {
		return
	}
	var body endDrillRequest
	if !readAdminJSON(w, req, &body) {
		log.Warn("probekit admin: refused: bad body", "check", name)
		return
	}
	if why := checkActor(body.Actor); why != "" {
		a.refuse(w, log, why)
		return
	}
	ended, err := a.reg.EndDrill(name, body.Actor)
	if err != nil {
		if errors.Is(err, ErrClosed) {
			a.closed(w, req, log, "check", name)
			return
		}
		a.refuse(w, log, err.Error())
		return
	}
	log.Info("probekit admin: drill ended", "check", name, "actor", oneLine(body.Actor),
		"was_drilling", ended, "remote", oneLine(req.RemoteAddr))
	writeAdminJSON(w, http.StatusOK, struct {
		Check string `json:"check"`
		Ended bool   `json:"ended"`
	}{name, ended})
}
