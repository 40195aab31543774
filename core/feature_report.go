package core

import "strconv"

// appendFeaturesJSON appends the "features" member of probekit's JSON
// report, after "checks": one object per feature, keyed by its name. It
// appends nothing when there is no feature, so reports of services without
// features are unchanged.
func appendFeaturesJSON(b []byte, features []FeatureState) []byte {
	if len(features) == 0 {
		return b
	}
	b = append(b, `,"features":{`...)
	for i := range features {
		f := &features[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Name)
		b = append(b, `:{"enabled":`...)
		b = strconv.AppendBool(b, f.Enabled)
		b = append(b, `,"why":`...)
		b = appendString(b, f.Why)
		b = append(b, `,"healthy":`...)
		b = strconv.AppendBool(b, f.Healthy)
		b = append(b, `,"checks":[`...)
		for j, c := range f.Checks {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c)
		}
		b = append(b, `],"off_when_degraded":`...)
		b = strconv.AppendBool(b, f.OffWhenDegraded)
		b = append(b, `,"since":`...)
		b = appendTime(b, f.Since)
		b = append(b, `,"forced":`...)
		if fo := f.Forced; fo == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, `{"on":`...)
			b = strconv.AppendBool(b, fo.On)
			b = append(b, `,"actor":`...)
			b = appendString(b, fo.Actor)
			b = append(b, `,"reason":`...)
			b = appendString(b, fo.Reason)
			b = append(b, `,"since":`...)
			b = appendTime(b, fo.Since)
			b = append(b, `,"until":`...)
			b = appendTime(b, fo.Until)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendFeaturesHealthJSON appends the features to the "checks" object of
// an application/health+json report, after the checks (comma says whether
// an entry precedes). The draft's checks object holds one array per
// "{componentName}:{measurementName}"; a feature is a component of the
// service whose measurement is whether it is enabled: key "{name}:enabled",
// componentType "component" (one of the draft's predefined values),
// observedValue true or false, status "pass" when enabled and "warn" when
// off (a reduced capability, which never changes the report's own status),
// time when it last changed and output why. The suffix ":enabled" keeps
// these keys apart from the checks' ":responseTime" even where a feature
// and a check share a name.
func appendFeaturesHealthJSON(b []byte, features []FeatureState, comma bool) []byte {
	for i := range features {
		f := &features[i]
		if comma || i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Name+":enabled")
		b = append(b, `:[{"componentId":`...)
		b = appendString(b, f.Name)
		b = append(b, `,"componentType":"component","observedValue":`...)
		b = strconv.AppendBool(b, f.Enabled)
		b = append(b, `,"status":`...)
		if f.Enabled {
			b = append(b, `"pass"`...)
		} else {
			b = append(b, `"warn"`...)
		}
		b = append(b, `,"time":`...)
		b = appendTime(b, f.Since)
		b = append(b, `,"output":`...)
		b = appendString(b, f.Why)
		b = append(b, "}]"...)
	}
	return b
}
