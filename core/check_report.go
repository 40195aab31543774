package core

// The members a check's entry in a report gains from a drill (see
// drill.go) and from its operator fields (see operator.go). Each appends
// nothing for a check without them, so reports of services that use
// neither are unchanged.

// appendCheckExtrasJSON appends to a check's object of probekit's JSON
// report: "owner", "runbook" and "hint" when set, and "drill" while a drill
// is in effect, with the drill's actor, reason and times and the check's
// real status and message ("real_status", "real_message").
func appendCheckExtrasJSON(b []byte, c *Result) []byte {
	if o := c.Operator; o != nil {
		b = appendOptionalMember(b, "owner", o.Owner)
		b = appendOptionalMember(b, "runbook", o.Runbook)
		b = appendOptionalMember(b, "hint", o.Hint)
	}
	d := c.Drill
	if d == nil {
		return b
	}
	b = append(b, `,"drill":{"status":`...)
	b = appendString(b, d.Status.String())
	b = append(b, `,"actor":`...)
	b = appendString(b, d.Actor)
	b = append(b, `,"reason":`...)
	b = appendString(b, d.Reason)
	b = append(b, `,"since":`...)
	b = appendTime(b, d.Since)
	b = append(b, `,"until":`...)
	b = appendTime(b, d.Until)
	b = append(b, `,"real_status":`...)
	b = appendString(b, d.RealStatus.String())
	b = append(b, `,"real_message":`...)
	b = appendString(b, d.RealMessage)
	return append(b, '}')
}

// appendCheckExtrasHealthJSON appends to a check's object of an
// application/health+json report. The draft's "links" member (link
// relations to URIs) carries the runbook under the registered relation
// "help"; the draft has no member for an owner or a hint, so they are
// extension members "owner" and "hint", which its clients ignore. A drill
// is the extension member "drill": the drill's status (pass/warn/fail),
// actor, reason and times, and the check's real "realStatus" and
// "realOutput".
func appendCheckExtrasHealthJSON(b []byte, c *Result) []byte {
	if o := c.Operator; o != nil {
		if o.Runbook != "" {
			b = append(b, `,"links":{"help":`...)
			b = appendString(b, o.Runbook)
			b = append(b, '}')
		}
		b = appendOptionalMember(b, "owner", o.Owner)
		b = appendOptionalMember(b, "hint", o.Hint)
	}
	d := c.Drill
	if d == nil {
		return b
	}
	b = append(b, `,"drill":{"status":`...)
	b = appendString(b, d.Status.healthJSON())
	b = append(b, `,"actor":`...)
	b = appendString(b, d.Actor)
	b = append(b, `,"reason":`...)
	b = appendString(b, d.Reason)
	b = append(b, `,"since":`...)
	b = appendTime(b, d.Since)
	b = append(b, `,"until":`...)
	b = appendTime(b, d.Until)
	b = append(b, `,"realStatus":`...)
	b = appendString(b, d.RealStatus.healthJSON())
	if d.RealMessage != "" {
		b = append(b, `,"realOutput":`...)
		b = appendString(b, d.RealMessage)
	}
	return append(b, '}')
}

// appendCheckExtrasText appends to a failed check's line of the verbose
// text form, after its message: " (drill by alice until <time>; real: ok)"
// while a drill is in effect. The line keeps the apiserver's shape.
func appendCheckExtrasText(b []byte, c *Result) []byte {
	d := c.Drill
	if d == nil {
		return b
	}
	b = append(b, " (drill by "...)
	b = appendText(b, d.Actor)
	b = append(b, " until "...)
	b = d.Until.UTC().AppendFormat(b, timeLayout)
	b = append(b, "; real: "...)
	b = append(b, d.RealStatus.String()...)
	if d.RealMessage != "" {
		b = append(b, ": "...)
		b = appendText(b, d.RealMessage)
	}
	return append(b, ')')
}

// appendOptionalMember appends `,"key":value` when value is not empty.
func appendOptionalMember(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}
