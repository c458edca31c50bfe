package ashbysim

import (
	"strconv"
)

// jobStatusCycle gives generated job j the status jobStatusCycle[j%10]: six
// open, two closed, one archived, one draft in ten, with every status
// present from five jobs up.
var jobStatusCycle = []string{
	"Open", "Closed", "Open", "Draft", "Archived", "Open", "Open", "Closed", "Open", "Open",
}

func generatedJobStatus(j int) string { return jobStatusCycle[j%len(jobStatusCycle)] }

// employmentTypes is weighted: six in ten jobs are full-time.
var employmentTypes = []string{
	"FullTime", "FullTime", "FullTime", "FullTime", "FullTime", "FullTime",
	"PartTime", "Intern", "Contract", "Temporary",
}

// jobInfo holds what stays fixed for a job across updates: title, place
// in the organisation and creation time. Applications embed these.
type jobInfo struct {
	title      string
	dept       int
	office     int
	employment string
	createdAt  int64
	openedAt   int64
}

func (o *org) jobInfo(j int) jobInfo {
	r := o.rng(kindJob, j, 0)
	info := jobInfo{
		title:      pick(&r, jobTitles),
		dept:       o.liveDepts[r.intn(len(o.liveDepts))],
		office:     o.liveOffice[r.intn(len(o.liveOffice))],
		employment: pick(&r, employmentTypes),
	}
	if j >= o.n.jobs {
		info.createdAt = o.mut(kindJob, j).createdAt
		info.openedAt = info.createdAt
		return info
	}
	info.createdAt = o.spreadTime(kindJob, j, o.n.jobs, historyStart-365*dayMS, 365*dayMS)
	info.openedAt = laterOf(&r, info.createdAt, dayMS, 14*dayMS, historyEnd-1)
	return info
}

// jobStatus returns the current status of job j. Every update toggles a
// job between open and its generated status (closed for open jobs).
func (o *org) jobStatus(j int) string {
	base := "Open"
	if j < o.n.jobs {
		base = generatedJobStatus(j)
	}
	if o.mut(kindJob, j).versionOrZero()%2 == 0 {
		return base
	}
	if base == "Open" {
		return "Closed"
	}
	return "Open"
}

// jobClosedAt returns when job j was closed, or 0 while it is open or a
// draft.
func (o *org) jobClosedAt(j int, info jobInfo) int64 {
	switch o.jobStatus(j) {
	case "Open", "Draft":
		return 0
	}
	if m := o.mut(kindJob, j); m != nil && m.version%2 == 1 {
		return m.updatedAt
	}
	r := o.rng(kindJob, j, 0xc105e)
	return laterOf(&r, info.openedAt, 30*dayMS, 400*dayMS, historyEnd-1)
}

func (o *org) jobUpdatedAt(j int, info jobInfo) int64 {
	if m := o.mut(kindJob, j); m != nil {
		return m.updatedAt
	}
	r := o.rng(kindJob, j, 0x0bda7e)
	return max(laterOf(&r, info.openedAt, 0, 90*dayMS, historyEnd-1), o.jobClosedAt(j, info))
}

// writeJobSummary writes the job object embedded in an application.
func (o *org) writeJobSummary(w *jsonWriter, j int) {
	info := o.jobInfo(j)
	w.open()
	w.fieldUUID("id", o.id(kindJob, j))
	w.fieldString("title", info.title)
	w.fieldUUID("locationId", o.id(kindLocation, info.office))
	w.fieldUUID("departmentId", o.id(kindDepartment, info.dept))
	w.close()
}

// writeJob writes job j as job.list returns it.
func (o *org) writeJob(w *jsonWriter, j int, q *query) {
	m := o.mut(kindJob, j)
	r := o.rng(kindJob, j, m.versionOrZero())
	info := o.jobInfo(j)
	status := o.jobStatus(j)
	plan := o.jobPlan(j)

	w.open()
	w.fieldUUID("id", o.id(kindJob, j))
	w.fieldString("title", info.title)
	w.fieldBool("confidential", o.h(kindJob, j, 0xc0f1)%20 == 0)
	w.fieldString("status", status)
	w.fieldString("employmentType", info.employment)
	w.fieldUUID("locationId", o.id(kindLocation, info.office))
	w.fieldUUID("departmentId", o.id(kindDepartment, info.dept))
	w.fieldUUID("defaultInterviewPlanId", o.id(kindInterviewPlan, plan))
	w.key("interviewPlanIds")
	w.openArray()
	w.uuid(o.id(kindInterviewPlan, plan))
	if j%5 == 1 {
		w.uuid(o.id(kindInterviewPlan, (plan+1)%o.n.plans))
	}
	w.closeArray()
	w.key("customFields")
	o.writeCustomFieldValues(w, &r, "Job", j)
	w.key("jobPostingIds")
	w.openArray()
	if status == "Open" || q.unpublishedPostingIDs {
		for b := range o.n.jobBoards {
			if o.postingExists(j, b) {
				w.uuid(o.postingID(j, b))
			}
		}
	}
	w.closeArray()
	// The OpenAPI document declares customRequisitionId as a UUID.
	w.fieldUUID("customRequisitionId", o.id(kindRequisition, j))
	if j%2 == 0 {
		w.fieldUUID("brandId", o.id(kindBrand, j%4/2))
	}
	w.key("hiringTeam")
	o.writeHiringTeam(w, j, m.versionOrZero())
	w.key("author")
	o.writeUserRef(w, o.liveUsers[int(o.h(kindJob, j, 0xa07)%uint64(len(o.liveUsers)))])
	w.fieldTime("createdAt", info.createdAt)
	w.fieldTime("updatedAt", o.jobUpdatedAt(j, info))
	if status != "Draft" {
		w.fieldTime("openedAt", info.openedAt)
	}
	if closed := o.jobClosedAt(j, info); closed > 0 {
		w.fieldTime("closedAt", closed)
	}
	if q.expandLocation {
		w.key("location")
		o.writeLocation(w, info.office)
	}
	if q.expandOpenings {
		// NOTE: openings are not generated, so the expansion is always empty.
		w.key("openings")
		w.openArray()
		w.closeArray()
	}
	w.close()
}

// postingExists reports whether job j has a posting on job board b.
// Every job has one on the primary board 0 unless a change deleted it.
// One in three jobs is also on the internal board 1, and one in four on
// board 2.
func (o *org) postingExists(j, b int) bool {
	switch b {
	case 0:
		s := o.store(kindJobPosting)
		return !s.muts[j].isDeleted()
	case 1:
		return j%3 == 0
	case 2:
		return j%4 == 1
	}
	return false
}

// postingID returns the id of the posting of job j on board b. Postings on
// board 0 have the ids id(kindJobPosting, j) that applications refer to.
func (o *org) postingID(j, b int) uuid { return o.id(kindJobPosting, b<<32|j) }

// jobPostingVisible reports whether jobPosting.list shows the posting of
// job j under q: only published postings, which are those of open jobs,
// on the board that q names.
func (o *org) jobPostingVisible(j int, q *query) bool {
	if o.jobStatus(j) != "Open" || q.board < 0 || !o.postingExists(j, q.board) {
		return false
	}
	if q.listedOnly && !o.postingListed(j) {
		return false
	}
	if q.locationName != "" || q.departmentName != "" {
		info := o.jobInfo(j)
		if q.locationName != "" && o.location(info.office).externalName != q.locationName {
			return false
		}
		if q.departmentName != "" && o.postingDepartment(info.dept) != q.departmentName {
			return false
		}
	}
	return true
}

func (o *org) postingListed(j int) bool { return o.h(kindJobPosting, j, 0x115)%100 < 85 }

// postingDepartment returns the departmentName of a posting: the parent
// department when the job's department is a team.
func (o *org) postingDepartment(d int) string {
	if p := o.dept(d).parent; p >= 0 {
		return o.dept(p).name
	}
	return o.dept(d).name
}

// writeJobPosting writes the posting of job j on board b as
// jobPosting.list returns it. Postings are published while the job is
// open.
func (o *org) writeJobPosting(w *jsonWriter, j, b int) {
	info := o.jobInfo(j)
	r := o.rng(kindJobPosting, b<<32|j, 0)
	office := o.location(info.office)
	w.open()
	w.fieldUUID("id", o.postingID(j, b))
	title := info.title
	if office.remote {
		title += " (Remote)"
	}
	w.fieldString("title", title)
	w.fieldUUID("jobId", o.id(kindJob, j))
	w.fieldString("departmentName", o.postingDepartment(info.dept))
	w.fieldString("teamName", o.dept(info.dept).name)
	w.fieldString("locationName", office.externalName)

	w.key("locationIds")
	w.open()
	w.fieldUUID("primaryLocationId", o.id(kindLocation, info.office))
	w.key("secondaryLocationIds")
	w.openArray()
	if r.chance(20) {
		w.uuid(o.id(kindLocation, o.liveOffice[r.intn(len(o.liveOffice))]))
	}
	w.closeArray()
	w.close()
	w.fieldString("workplaceType", office.workplace)
	w.fieldString("employmentType", info.employment)
	w.fieldBool("isListed", o.postingListed(j))
	w.key("publishedDate")
	w.date(info.openedAt)
	if r.chance(20) {
		w.fieldTime("applicationDeadline", info.openedAt+60*dayMS)
	}

	link := "https://jobs.ashbyhq.com/example/" + o.postingID(j, b).String()
	w.fieldString("externalLink", link)
	w.fieldString("applyLink", link+"/application")
	display := r.chance(60)
	if display || r.chance(50) {
		low := 80 + r.intn(120)
		summary := "$" + strconv.Itoa(low) + "K – $" + strconv.Itoa(low+40) + "K • Offers Equity"
		w.fieldString("compensationTierSummary", summary)
	}
	w.fieldBool("shouldDisplayCompensationOnJobBoard", display)
	w.fieldTime("updatedAt", o.jobUpdatedAt(j, info))
	w.close()
}
