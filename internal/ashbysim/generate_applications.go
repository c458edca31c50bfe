package ashbysim

import (
	"strconv"
)

const (
	saltJob = iota + 0xa900
	saltHired
	saltReason
	saltStage
)

// applicationState is what an application's status depends on.
type applicationState struct {
	status     string
	stage      int
	job        int
	plan       int
	archivedAt int64 // 0 unless archived
	reason     int   // archive reason, when archived
}

// applicationJob returns the job of application a. Generated applications
// go to jobs that are not drafts.
func (o *org) applicationJob(a int) int {
	if a >= o.n.applications {
		return o.mut(kindApplication, a).job
	}
	return o.nonDraftJobs[o.h(kindApplication, a, saltJob)%uint64(len(o.nonDraftJobs))]
}

// applicationCreatedAt places the applications of a candidate shortly after
// the candidate, before the next candidate, so creation times grow with
// the application index as they do for candidates.
func (o *org) applicationCreatedAt(a int) int64 {
	if a >= o.n.applications {
		return o.mut(kindApplication, a).createdAt
	}
	c, position := o.applicationOwner(a)
	slot := historySpan / int64(max(o.n.candidates, 1))
	step := max(min(slot/8, hourMS), 1)
	jitter := int64(o.h(kindApplication, a, saltStage) % uint64(max(step/2, 1)))
	return o.candidateCreatedAt(c) + int64(position)*step + jitter
}

// offerAccepted reports whether generated offer f was accepted. The offer
// and its application both read it, so a hired application and its
// accepted offer agree.
func (o *org) offerAccepted(f int) bool { return o.h(kindOffer, f, saltHired)%2 == 0 }

func (o *org) applicationState(a int) applicationState {
	m := o.mut(kindApplication, a)
	st := applicationState{job: o.applicationJob(a)}
	st.plan = o.jobPlan(st.job)
	switch v := m.versionOrZero(); {
	case m != nil && m.archived:
		st.stage, st.archivedAt = stageArchived, m.archivedAt
		st.reason = int(o.h(kindApplication, a, saltReason+uint64(v)) % 10)
	case v > 0:
		r := o.rng(kindApplication, a, v)
		st.stage = r.between(stageFirstAct, stageHired)
	case a >= o.n.applications:
		st.stage = stageFirstAct
	default:
		st = o.generatedApplicationState(a, st)
	}
	st.status = stageStatus(st.stage)
	return st
}

func (o *org) generatedApplicationState(a int, st applicationState) applicationState {
	if f, ok := o.generatedOffer(a); ok {
		st.stage = stageOffer
		if o.offerAccepted(f) {
			st.stage = stageHired
		}
		return st
	}
	r := o.rng(kindApplication, a, 0x57a7e)
	switch roll := r.intn(100); {
	case roll < 10:
		st.stage = stageLead
	case roll < 62:
		st.stage = r.between(stageFirstAct, stageOffer-1)
	case roll < 92:
		st.stage = stageArchived
		st.archivedAt = laterOf(&r, o.applicationCreatedAt(a), dayMS, 90*dayMS, historyEnd-1)
		st.reason = r.intn(len(archiveReasonSpecs))
	default:
		st.stage = stageHired
	}
	return st
}

func stageStatus(stage int) string {
	switch stage {
	case stageLead:
		return "Lead"
	case stageHired:
		return "Hired"
	case stageArchived:
		return "Archived"
	}
	return "Active"
}

var testNetPrefixes = []string{"192.0.2.", "198.51.100.", "203.0.113."}

// writeApplication writes application a as application.list returns it.
func (o *org) writeApplication(w *jsonWriter, a int, q *query) {
	m := o.mut(kindApplication, a)
	v := m.versionOrZero()
	r := o.rng(kindApplication, a, v)
	st := o.applicationState(a)
	c := o.candidateOf(a)
	createdAt := o.applicationCreatedAt(a)
	updatedAt := max(laterOf(&r, createdAt, 0, 60*dayMS, historyEnd-1), st.archivedAt)
	if m != nil {
		updatedAt = m.updatedAt
	}

	w.open()
	w.fieldUUID("id", o.id(kindApplication, a))
	w.fieldTime("createdAt", createdAt)
	w.fieldTime("updatedAt", updatedAt)
	w.fieldString("status", st.status)
	w.key("customFields")
	o.writeCustomFieldValues(w, &r, "Application", a)
	w.key("candidate")
	o.writeCandidateSummary(w, c)
	w.key("currentInterviewStage")
	o.writeStage(w, st.plan, st.stage)
	if r.chance(85) {
		w.key("source")
		o.writeSource(w, liveSource(&r))
	}
	if st.stage == stageArchived {
		w.key("archiveReason")
		w.open()
		o.writeArchiveReasonFields(w, st.reason)
		w.key("customFields")
		w.openArray()
		w.closeArray()
		w.close()
		w.fieldTime("archivedAt", st.archivedAt)
	}
	w.key("job")
	o.writeJobSummary(w, st.job)
	if r.chance(30) {
		w.key("creditedToUser")
		o.writeUserRef(w, o.liveUsers[r.intn(len(o.liveUsers))])
	}
	w.key("hiringTeam")
	o.writeHiringTeam(w, st.job, 0)
	if r.chance(70) {
		w.fieldUUID("appliedViaJobPostingId", o.id(kindJobPosting, st.job))
	}
	if r.chance(60) {
		ip := pick(&r, testNetPrefixes) + strconv.Itoa(r.between(1, 254))
		w.fieldString("submitterClientIp", ip)
		w.fieldString("submitterUserAgent", pick(&r, userAgents))
	}
	if q.expandOpenings {
		// NOTE: openings are not generated, so the expansion is always empty.
		w.key("openings")
		w.openArray()
		w.closeArray()
	}
	w.close()
}
