package ashbysim

import (
	"strconv"
)

// openingJob returns the job of opening i. Generated opening j belongs to
// job j; openings added by changes record their job.
func (o *org) openingJob(i int) int {
	if i >= o.n.openings {
		return o.mut(kindOpening, i).job
	}
	return i
}

func (o *org) openingCreatedAt(i int) int64 {
	if i >= o.n.openings {
		return o.mut(kindOpening, i).createdAt
	}
	return o.jobInfo(i).createdAt
}

// openingState derives the state of an opening from its job: open jobs
// have open openings, drafts draft ones, and closed jobs filled or
// closed ones.
func (o *org) openingState(i int) string {
	switch o.jobStatus(o.openingJob(i)) {
	case "Open":
		return "Open"
	case "Draft":
		return "Draft"
	}
	if o.h(kindOpening, i, 0xf111)%2 == 0 {
		return "Filled"
	}
	return "Closed"
}

func (o *org) writeOpening(w *jsonWriter, i int) {
	m := o.mut(kindOpening, i)
	v := m.versionOrZero()
	r := o.rng(kindOpening, i, v)
	j := o.openingJob(i)
	info := o.jobInfo(j)
	state := o.openingState(i)
	created := o.openingCreatedAt(i)
	versionAt := created
	if m != nil && v > 0 {
		versionAt = m.updatedAt
	}

	w.open()
	w.fieldUUID("id", o.id(kindOpening, i))
	if state != "Draft" {
		w.fieldTime("openedAt", info.openedAt)
	}
	archived := o.jobStatus(j) == "Archived"
	if state == "Filled" || state == "Closed" {
		closed := o.jobClosedAt(j, info)
		if closed == 0 {
			closed = info.openedAt + 30*dayMS
		}
		w.fieldTime("closedAt", closed)
		w.fieldUUID("closeReasonId", o.id(kindCloseReason, int(o.h(kindOpening, i, 0xc1)%5)))
	}
	w.fieldBool("isArchived", archived)
	if archived {
		w.fieldTime("archivedAt", o.jobUpdatedAt(j, info))
	}
	w.fieldString("openingState", state)

	w.key("latestVersion")
	w.open()
	w.fieldUUID("id", o.id(kindOpeningVersion, i<<6|v&63))
	w.fieldString("identifier", "OPN-"+strconv.Itoa(1000+i))
	w.fieldString("description", info.title+" headcount, plan revision "+strconv.Itoa(v+1))
	w.fieldUUID("authorId", o.id(kindUser, o.liveUsers[r.intn(len(o.liveUsers))]))
	w.fieldTime("createdAt", versionAt)
	w.fieldUUID("teamId", o.id(kindDepartment, info.dept))
	w.key("jobIds")
	w.openArray()
	w.uuid(o.id(kindJob, j))
	w.closeArray()
	w.key("targetHireDate")
	w.date(info.openedAt + int64(r.between(30, 120))*dayMS)
	w.fieldBool("isBackfill", r.chance(20))
	w.fieldString("employmentType", info.employment)
	w.key("locationIds")
	w.openArray()
	w.uuid(o.id(kindLocation, info.office))
	w.closeArray()
	w.key("hiringTeam")
	o.writeHiringTeam(w, j, 0)
	w.key("customFields")
	w.openArray()
	w.closeArray()
	w.close()
	w.close()
}

// Approvals: approval f < offers approves offer f; the rest approve jobs.
// Approvals added by changes approve openings.
func (o *org) approvalOffer(i int) (int, bool) { return i, i < o.n.offers }

func (o *org) approvalJob(i int) int { return (i - o.n.offers) * 3 % o.n.jobs }

// approvalEntity returns the entity type and id that approval i approves.
func (o *org) approvalEntity(i int) (string, uuid) {
	switch {
	case i < o.n.offers:
		// The entity of an offer approval is the offer's first version.
		return "offer", o.id(kindOfferVersion, i<<6)
	case i < o.n.approvals:
		return "job", o.id(kindJob, o.approvalJob(i))
	}
	return "opening", o.id(kindOpening, o.mut(kindApproval, i).parent)
}

func (o *org) approvalCreatedAt(i int) int64 {
	switch {
	case i < o.n.offers:
		return o.offerCreatedAt(i)
	case i < o.n.approvals:
		return o.jobInfo(o.approvalJob(i)).createdAt + dayMS
	}
	return o.mut(kindApproval, i).createdAt
}

func (o *org) approvalVisible(i int, q *query) bool {
	typ, id := o.approvalEntity(i)
	return (q.entityType == "" || q.entityType == typ) && !q.entityID.excludes(id)
}

var approvalDecisions = []string{"approve", "approve", "approve", "pending", "reject"}

func (o *org) writeApproval(w *jsonWriter, i int) {
	m := o.mut(kindApproval, i)
	v := m.versionOrZero()
	r := o.rng(kindApproval, i, v)
	typ, entity := o.approvalEntity(i)
	created := o.approvalCreatedAt(i)
	steps := 1 + int(o.h(kindApproval, i, 0x57e9)%2)

	w.open()
	w.fieldUUID("id", o.id(kindApproval, i))
	w.fieldUUID("approvalDefinitionId", o.id(kindApprovalDefinition, int(o.h(kindApproval, i, 1)%3)))
	w.fieldUUID("entityId", entity)
	w.fieldString("entityType", typ)
	w.fieldTime("createdAt", created)
	w.fieldTime("submittedAt", created+hourMS)
	at := created + hourMS
	done := true
	w.key("steps")
	w.openArray()
	for s := range steps {
		w.open()
		w.fieldUUID("id", o.id(kindApprovalStep, i*4+s))
		w.fieldInt("approvalsRequired", 1)
		decision := pick(&r, approvalDecisions)
		if decision != "approve" {
			done = false
		} else {
			at += int64(r.between(1, 48)) * hourMS
			w.fieldTime("completedAt", at)
		}
		w.key("approvers")
		w.openArray()
		w.open()
		w.fieldUUID("id", o.id(kindApprovalStep, i*4+s+1<<30))
		w.fieldUUID("userId", o.id(kindUser, o.liveUsers[r.intn(len(o.liveUsers))]))
		w.fieldString("decision", decision)
		if decision != "pending" {
			w.fieldTime("decidedAt", at)
		}
		w.fieldTime("requestedAt", created+hourMS)
		w.close()
		w.closeArray()
		w.close()
	}
	w.closeArray()
	if done {
		w.fieldTime("completedAt", at)
	}
	w.close()
}

var projectTitles = []string{
	"Staff engineers 2024", "Silver medalists", "Campus pipeline", "Sales leaders EMEA",
	"Design community", "Returning talent", "Security specialists", "Data science pool",
}

func (o *org) projectCreatedAt(p int) int64 {
	if p >= o.n.projects {
		return o.mut(kindProject, p).createdAt
	}
	return o.spreadTime(kindProject, p, o.n.projects, historyStart, historySpan)
}

// candidateProjects returns the generated projects of candidate c: two in
// ten candidates are on one project, and members of project p are the
// candidates 10*(p+k*projects) and the one after it.
func (o *org) candidateProjects(c int) []int {
	if c >= o.n.candidates || c%10 >= 2 {
		return nil
	}
	return []int{c / 10 % o.n.projects}
}

// projectMembers returns the generated candidates on project p.
func (o *org) projectMembers(p int) []int {
	var out []int
	for b := p * 10; b < o.n.candidates && p < o.n.projects; b += o.n.projects * 10 {
		for c := b; c < b+2 && c < o.n.candidates; c++ {
			out = append(out, c)
		}
	}
	return out
}

func (o *org) writeProject(w *jsonWriter, p int) {
	v := o.mut(kindProject, p).versionOrZero()
	r := o.rng(kindProject, p, v)
	w.open()
	w.fieldUUID("id", o.id(kindProject, p))
	w.fieldString("title", numbered(projectTitles, p))
	w.fieldString("description", "Candidates to revisit, revision "+strconv.Itoa(v+1)+".")
	w.fieldBool("isArchived", p%7 == 6)
	w.fieldBool("confidential", p%5 == 4)
	w.fieldUUID("authorId", o.id(kindUser, o.liveUsers[r.intn(len(o.liveUsers))]))
	w.fieldTime("createdAt", o.projectCreatedAt(p))
	w.key("customFieldEntries")
	w.openArray()
	w.closeArray()
	w.close()
}
