package core

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// featureRoutes are the admin handler's feature resource.
func (a *admin) featureRoutes() []adminRoute {
	return []adminRoute{
		{http.MethodGet, "/features", a.listFeatures},
		{http.MethodGet, "/features/{name}", a.getFeature},
		{http.MethodPut, "/features/{name}/force", a.forceFeature},
		{http.MethodDelete, "/features/{name}/force", a.clearForce},
	}
}

// adminFeature is a feature in the admin handler's answers; the member
// names are those of the JSON report's "features".
type adminFeature struct {
	Name            string             `json:"name"`
	Enabled         bool               `json:"enabled"`
	Why             string             `json:"why"`
	Healthy         bool               `json:"healthy"`
	Checks          []string           `json:"checks"`
	OffWhenDegraded bool               `json:"off_when_degraded"`
	Since           time.Time          `json:"since"`
	Forced          *adminFeatureForce `json:"forced"`
}

type adminFeatureForce struct {
	On     bool      `json:"on"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
}

func newAdminFeature(s FeatureState) adminFeature {
	f := adminFeature{
		Name: s.Name, Enabled: s.Enabled, Why: s.Why, Healthy: s.Healthy,
		Checks: s.Checks, OffWhenDegraded: s.OffWhenDegraded, Since: s.Since.UTC(),
	}
	if fo := s.Forced; fo != nil {
		f.Forced = &adminFeatureForce{On: fo.On, Actor: fo.Actor, Reason: fo.Reason, Since: fo.Since.UTC(), Until: fo.Until.UTC()}
	}
	return f
}

// forceRequest is the body of PUT /features/{name}/force. Pointers tell a
// missing field from a zero one.
type forceRequest struct {
	Enabled  *bool  `json:"enabled"`
	Duration string `json:"duration"`
	Actor    string `json:"actor"`
	Reason   string `json:"reason"`
}

// clearRequest is the body of DELETE /features/{name}/force.
type clearRequest struct {
	Actor string `json:"actor"`
}

func (a *admin) listFeatures(w http.ResponseWriter, req *http.Request, _ []string, log *slog.Logger) {
	log.Info("probekit admin: features listed", "remote", oneLine(req.RemoteAddr))
	list := []adminFeature{}
	for _, s := range a.reg.featureStates() {
		list = append(list, newAdminFeature(s))
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Features []adminFeature `json:"features"`
	}{list})
}

func (a *admin) getFeature(w http.ResponseWriter, req *http.Request, params []string, log *slog.Logger) {
	f := a.feature(w, params[0], log)
	if f == nil {
		return
	}
	log.Info("probekit admin: feature read", "feature", f.name, "remote", oneLine(req.RemoteAddr))
	writeAdminJSON(w, http.StatusOK, newAdminFeature(f.State()))
}

// feature returns the feature called name, or answers 400 and returns nil.
func (a *admin) feature(w http.ResponseWriter, name string, log *slog.Logger) *Feature {
	f := a.reg.LookupFeature(name)
	if f == nil {
		a.refuse(w, log, "unknown feature "+quote(name))
	}
	return f
}

func (a *admin) forceFeature(w http.ResponseWriter, req *http.Request, params []string, log *slog.Logger) {
	f := a.feature(w, params[0], log)
	if f == nil {
		return
	}
	var body forceRequest
	if !readAdminJSON(w, req, &body) {
		log.Warn("probekit admin: refused: bad body", "feature", f.name)
		return
	}
	if body.Enabled == nil {
		a.refuse(w, log, `missing field "enabled" (true forces the feature on, false off)`)
		return
	}
	if why := checkActor(body.Actor); why != "" {
		a.refuse(w, log, why)
		return
	}
	if body.Duration == "" {
		a.refuse(w, log, `missing field "duration" (how long the force lasts, such as "30m"; at most `+a.max.String()+")")
		return
	}
	d, err := time.ParseDuration(body.Duration)
	switch {
	case err != nil:
		a.refuse(w, log, `field "duration": `+quote(body.Duration)+` is not a duration such as "30m" or "1h30m"`)
		return
	case d <= 0:
		a.refuse(w, log, `field "duration" must be positive, got `+d.String())
		return
	case d > a.max:
		a.refuse(w, log, `field "duration" `+d.String()+" is over the maximum "+a.max.String()+" (AdminOptions.MaxDuration)")
		return
	case len(body.Reason) > maxForceReasonLen:
		a.refuse(w, log, `field "reason" is longer than `+strconv.Itoa(maxForceReasonLen)+" bytes")
		return
	}
	if err := f.Force(ForceOptions{On: *body.Enabled, Duration: d, Actor: body.Actor, Reason: body.Reason}); err != nil {
		if errors.Is(err, ErrClosed) {
			a.closed(w, req, log, "feature", f.name)
			return
		}
		a.refuse(w, log, err.Error())
		return
	}
	log.Info("probekit admin: feature forced", "feature", f.name, "actor", oneLine(body.Actor),
		"forced", onOff(*body.Enabled), "for", d.String(), "reason", Redact(body.Reason), "remote", oneLine(req.RemoteAddr))
	writeAdminJSON(w, http.StatusOK, newAdminFeature(f.State()))
}

func (a *admin) clearForce(w http.ResponseWriter, req *http.Request, params []string, log *slog.Logger) {
	f := a.feature(w, params[0], log)
	if f == nil {
		return
	}
	var body clearRequest
	if !readAdminJSON(w, req, &body) {
		log.Warn("probekit admin: refused: bad body", "feature", f.name)
		return
	}
	if why := checkActor(body.Actor); why != "" {
		a.refuse(w, log, why)
		return
	}
	cleared := f.ClearForce(body.Actor)
	log.Info("probekit admin: feature force cleared", "feature", f.name, "actor", oneLine(body.Actor),
		"was_forced", cleared, "remote", oneLine(req.RemoteAddr))
	writeAdminJSON(w, http.StatusOK, newAdminFeature(f.State()))
}

// refuse answers 400 with reason and logs it.
func (a *admin) refuse(w http.ResponseWriter, log *slog.Logger, reason string) {
	log.Warn("probekit admin: refused: " + oneLine(reason))
	writeAdminError(w, http.StatusBadRequest, reason)
}
