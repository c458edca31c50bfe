package ashbysim

import (
	"strconv"
	"strings"
)

// initCatalogues generates the small catalogues once. They hold at most a
// few hundred entries whatever the candidate count.
func (o *org) initCatalogues() {
	o.firstLocal = make([]string, len(firstNames))
	for i, name := range firstNames {
		o.firstLocal[i] = emailLocalPart(name)
	}
	o.lastLocal = make([]string, len(lastNames))
	for i, name := range lastNames {
		o.lastLocal[i] = emailLocalPart(name)
	}

	o.users = make([]userInfo, o.n.users)
	for i := range o.users {
		o.users[i] = o.userAt(i)
		if o.users[i].enabled {
			o.liveUsers = append(o.liveUsers, i)
		}
	}

	o.depts = make([]deptInfo, o.n.departments)
	for i := range o.depts {
		o.depts[i] = o.deptAt(i)
		if !o.depts[i].archived {
			o.liveDepts = append(o.liveDepts, i)
		}
	}

	o.locations = make([]locationInfo, o.n.locations)
	for i := range o.locations {
		o.locations[i] = o.locationAt(i)
		if !o.locations[i].region && !o.locations[i].archived {
			o.liveOffice = append(o.liveOffice, i)
		}
	}

	o.tagInfos = make([]tagInfo, o.n.tags)
	for i := range o.tagInfos {
		o.tagInfos[i] = o.tagAt(i)
	}
	for j := range o.n.jobs {
		if generatedJobStatus(j) != "Draft" {
			o.nonDraftJobs = append(o.nonDraftJobs, j)
		}
	}
}

// numbered appends " 2", " 3", ... when a word list wraps around.
func numbered(list []string, i int) string {
	name := list[i%len(list)]
	if round := i / len(list); round > 0 {
		name += " " + strconv.Itoa(round+1)
	}
	return name
}

// deptInfo is a department. The first topDepts departments are top-level;
// the others are teams under one of them.
type deptInfo struct {
	name, externalName string
	parent             int // -1 for a top-level department
	archived           bool
	createdAt          int64
	updatedAt          int64
}

func (o *org) deptAt(i int) deptInfo {
	r := o.rng(kindDepartment, i, 0)
	d := deptInfo{parent: -1}
	if i < o.n.topDepts {
		d.name = topDepartments[i]
	} else {
		d.name = numbered(teamNames, i-o.n.topDepts+int(o.seed%7))
		d.parent = r.intn(o.n.topDepts)
	}
	if r.chance(30) {
		d.externalName = d.name + " Team"
	}
	d.archived = i >= o.n.topDepts && (i == o.n.departments-1 || i%7 == 3)
	from := historyStart - 2*365*dayMS
	d.createdAt = o.spreadTime(kindDepartment, i, o.n.departments, from, 365*dayMS)
	d.updatedAt = laterOf(&r, d.createdAt, 0, 400*dayMS, historyEnd)
	return d
}

func (o *org) dept(i int) deptInfo {
	if i < len(o.depts) {
		return o.depts[i]
	}
	return deptInfo{
		name:   "New Team " + strconv.Itoa(i-o.n.departments+1),
		parent: int(o.h(kindDepartment, i, 1) % uint64(o.n.topDepts)),
	}
}

func (o *org) writeDepartment(w *jsonWriter, i int) {
	d := o.dept(i)
	m := o.mut(kindDepartment, i)
	if m != nil {
		if m.created > 0 {
			d.createdAt = m.createdAt
		}
		d.updatedAt = m.updatedAt
		d.archived = d.archived || m.archived
	}
	w.open()
	w.fieldUUID("id", o.id(kindDepartment, i))
	w.fieldString("name", d.name)
	w.fieldStringOmit("externalName", d.externalName)
	w.fieldBool("isArchived", d.archived)
	if d.parent >= 0 {
		w.fieldUUID("parentId", o.id(kindDepartment, d.parent))
	}
	w.fieldTime("createdAt", d.createdAt)
	w.fieldTime("updatedAt", d.updatedAt)
	w.key("extraData")
	w.open()
	if i%4 == 1 {
		w.fieldString("hris_cost_center", "CC-"+strconv.Itoa(100+i))
	}
	w.close()
	w.close()
}

func (o *org) departmentArchived(i int) bool {
	if m := o.mut(kindDepartment, i); m != nil && m.archived {
		return true
	}
	return i < len(o.depts) && o.depts[i].archived
}

var regionNames = []string{"Americas", "EMEA", "APAC"}

// locationInfo is an office, a remote location or a region. Regions have
// type LocationHierarchy and are parents of offices.
type locationInfo struct {
	name, externalName string
	city               city
	region             bool
	remote             bool
	workplace          string
	parent             int // -1 when none
	archived           bool
}

func regionOf(c city) int {
	switch {
	case strings.HasPrefix(c.timezone, "America/"):
		return 0
	case strings.HasPrefix(c.timezone, "Europe/"), strings.HasPrefix(c.timezone, "Africa/"):
		return 1
	default:
		return 2
	}
}

func (o *org) locationAt(i int) locationInfo {
	if i < o.n.regions {
		return locationInfo{name: regionNames[i], region: true, parent: -1}
	}
	k := i - o.n.regions
	offices := o.n.locations - o.n.regions
	r := o.rng(kindLocation, i, 0)
	c := cities[(k+int(o.seed%uint64(len(cities))))%len(cities)]
	l := locationInfo{city: c, parent: regionOf(c), workplace: "Hybrid"}
	l.name = c.name + " Office"
	if k >= len(cities) {
		l.name += " " + strconv.Itoa(k/len(cities)+1)
	}
	l.externalName = c.name
	switch {
	case k == 2:
		l.name, l.externalName = "Remote ("+regionNames[l.parent]+")", "Remote"
		l.remote, l.workplace = true, "Remote"
	case r.chance(40):
		l.workplace = "OnSite"
	}
	l.archived = k == offices-1 || k%9 == 7
	return l
}

func (o *org) location(i int) locationInfo {
	if i < len(o.locations) {
		return o.locations[i]
	}
	c := cities[int(o.h(kindLocation, i, 1)%uint64(len(cities)))]
	return locationInfo{
		name:         c.name + " Hub " + strconv.Itoa(i-o.n.locations+1),
		externalName: c.name,
		city:         c,
		parent:       regionOf(c),
		workplace:    "Hybrid",
	}
}

func (o *org) writeLocation(w *jsonWriter, i int) {
	l := o.location(i)
	if m := o.mut(kindLocation, i); m != nil && m.archived {
		l.archived = true
	}
	w.open()
	w.fieldUUID("id", o.id(kindLocation, i))
	w.fieldString("name", l.name)
	w.fieldStringOmit("externalName", l.externalName)
	w.fieldBool("isArchived", l.archived)

	if !l.region {
		w.key("address")
		w.open()
		w.key("postalAddress")
		w.open()
		w.fieldString("addressCountry", l.city.country)
		if !l.remote {
			w.fieldString("addressRegion", l.city.region)
			w.fieldString("addressLocality", l.city.name)
			w.fieldString("postalCode", l.city.postalCode)
			w.fieldString("streetAddress", l.city.street)
		}
		w.close()
		w.close()
		w.fieldBool("isRemote", l.remote)
		w.fieldString("workplaceType", l.workplace)
	}

	if l.parent >= 0 {
		w.fieldUUID("parentLocationId", o.id(kindLocation, l.parent))
	}
	if l.region {
		w.fieldString("type", "LocationHierarchy")
	} else {
		w.fieldString("type", "Location")
	}
	w.key("extraData")
	w.open()
	w.close()
	w.close()
}

func (o *org) locationArchived(i int) bool {
	if m := o.mut(kindLocation, i); m != nil && m.archived {
		return true
	}
	return o.location(i).archived
}

// sourceSpec is a candidate source with the index of its source type.
type sourceSpec struct {
	title    string
	typ      int
	archived bool
}

var sourceTypeTitles = []string{"Inbound", "Sourced", "Referral", "Agency", "Event", "Legacy"}

var sourceSpecs = []sourceSpec{
	{"Applied", 0, false}, {"Company Website", 0, false}, {"LinkedIn Jobs", 0, false},
	{"Indeed", 0, false}, {"LinkedIn Recruiter", 1, false}, {"GitHub", 1, false},
	{"Sourced by Recruiter", 1, false}, {"Employee Referral", 2, false},
	{"Customer Referral", 2, false}, {"Talent Partners Agency", 3, false},
	{"Tech Conference 2024", 4, false}, {"Career Fair", 4, false},
	{"Angel Network", 5, true}, {"Job Board Classic", 0, true},
}

func (o *org) writeSource(w *jsonWriter, i int) {
	s := sourceSpecs[i%len(sourceSpecs)]
	w.open()
	w.fieldUUID("id", o.id(kindSource, i))
	w.fieldString("title", s.title)
	w.fieldBool("isArchived", s.archived)
	w.key("sourceType")
	w.open()
	w.fieldUUID("id", o.id(kindSourceType, s.typ))
	w.fieldString("title", sourceTypeTitles[s.typ])
	w.fieldBool("isArchived", s.typ == 5)
	w.close()
	w.close()
}

// liveSource picks a source that is not archived.
func liveSource(r *rng) int { return r.intn(len(sourceSpecs) - 2) }

type archiveReasonSpec struct {
	text, reasonType string
	archived         bool
}

var archiveReasonSpecs = []archiveReasonSpec{
	{"Too inexperienced", "RejectedByOrg", false},
	{"Lacks required skills", "RejectedByOrg", false},
	{"Failed technical interview", "RejectedByOrg", false},
	{"Position filled", "RejectedByOrg", false},
	{"Location or visa mismatch", "RejectedByOrg", false},
	{"Accepted another offer", "RejectedByCandidate", false},
	{"Compensation expectations", "RejectedByCandidate", false},
	{"Withdrew from process", "RejectedByCandidate", false},
	{"Unresponsive", "RejectedByCandidate", false},
	{"Duplicate application", "Other", false},
	{"Hiring freeze (2023)", "Other", true},
	{"Culture fit", "RejectedByOrg", true},
}

func (o *org) writeArchiveReasonFields(w *jsonWriter, i int) {
	s := archiveReasonSpecs[i]
	w.fieldUUID("id", o.id(kindArchiveReason, i))
	w.fieldString("text", s.text)
	w.fieldString("reasonType", s.reasonType)
	w.fieldBool("isArchived", s.archived)
}

func (o *org) writeArchiveReason(w *jsonWriter, i int) {
	w.open()
	o.writeArchiveReasonFields(w, i)
	w.close()
}

type tagInfo struct {
	title    string
	archived bool
}

func (o *org) tagAt(i int) tagInfo {
	return tagInfo{title: numbered(tagTitles, i), archived: i%6 == 4}
}

func (o *org) tag(i int) tagInfo {
	if i < len(o.tagInfos) {
		return o.tagInfos[i]
	}
	return tagInfo{title: "New tag " + strconv.Itoa(i-o.n.tags+1)}
}

// writeTag writes tag i. Tags embedded in candidates show the generated
// state; a change that archives a tag shows only in candidateTag.list.
func (o *org) writeTag(w *jsonWriter, i int, listed bool) {
	t := o.tag(i)
	if listed {
		if m := o.mut(kindCandidateTag, i); m != nil && m.archived {
			t.archived = true
		}
	}
	w.open()
	w.fieldUUID("id", o.id(kindCandidateTag, i))
	w.fieldString("title", t.title)
	w.fieldBool("isArchived", t.archived)
	w.close()
}

func (o *org) tagArchived(i int) bool {
	if m := o.mut(kindCandidateTag, i); m != nil && m.archived {
		return true
	}
	return o.tag(i).archived
}

// stageSpec is one stage of every generated interview plan.
type stageSpec struct {
	title, typ string
	group      int
}

// Stage group types, in the order of the stageType enum.
var stageGroupTypes = []string{"Lead", "PreInterviewScreen", "Active", "Offer", "Hired", "Archived"}

var planStages = []stageSpec{
	{"New Lead", "Lead", 0},
	{"Application Review", "PreInterviewScreen", 1},
	{"Recruiter Screen", "Active", 2},
	{"Technical Interview", "Active", 2},
	{"Onsite", "Active", 2},
	{"Offer", "Offer", 3},
	{"Hired", "Hired", 4},
	{"Archived", "Archived", 5},
}

const (
	stageLead     = 0
	stageFirstAct = 1
	stageOffer    = 5
	stageHired    = 6
	stageArchived = 7
)

// writeStage writes stage s of interview plan p as embedded in an
// application.
func (o *org) writeStage(w *jsonWriter, p, s int) {
	st := planStages[s]
	w.open()
	w.fieldUUID("id", o.stageID(p, s))
	w.fieldString("title", st.title)
	w.fieldString("type", st.typ)
	w.fieldInt("orderInInterviewPlan", int64(s))
	w.fieldUUID("interviewStageGroupId", o.id(kindStageGroup, st.group))
	w.fieldUUID("interviewPlanId", o.id(kindInterviewPlan, p))
	w.close()
}

func (o *org) stageID(p, s int) uuid { return o.id(kindInterviewStage, p*len(planStages)+s) }

// jobPlan returns the default interview plan of job j.
func (o *org) jobPlan(j int) int { return j % o.n.plans }

var interviewTitles = []string{
	"Recruiter Phone Screen", "Technical Phone Interview", "System Design",
	"Pair Programming", "Hiring Manager Conversation", "Values Interview",
	"Portfolio Review", "Executive Chat", "Debrief", "Take-home Review",
	"Sales Role Play", "Case Study",
}

var poolTitles = []string{
	"Backend Technical Screeners", "Frontend Pairing", "Hiring Manager Chats", "Bar Raisers",
}

// writeInterviewerPool writes pool p as embedded in an interviewer. Pool 0
// has a training path; the last pool is archived.
func (o *org) writeInterviewerPool(w *jsonWriter, p int) {
	w.open()
	o.writeInterviewerPoolFields(w, p, false)
	w.close()
}

// writeInterviewerPoolFields writes the fields of pool p into an open
// object. Pool 0's training path has an archived third stage, shown only
// with archivedStages.
func (o *org) writeInterviewerPoolFields(w *jsonWriter, p int, archivedStages bool) {
	w.fieldUUID("id", o.id(kindInterviewerPool, p))
	w.fieldString("title", poolTitles[p])
	w.fieldBool("isArchived", p == len(poolTitles)-1)
	if p == 0 {
		w.key("trainingPath")
		w.open()
		w.fieldUUID("id", o.id(kindTrainingPath, 0))
		w.fieldBool("enabled", true)
		w.key("trainingStages")
		w.openArray()
		for s, role := range []string{"Shadow", "ReverseShadow"} {
			w.open()
			w.fieldUUID("id", o.id(kindTrainingPath, 1+s))
			w.fieldString("interviewerRole", role)
			w.fieldInt("interviewsRequired", int64(2+s))
			w.fieldBool("isArchived", false)
			w.fieldBool("approvalRequired", s == 1)
			if s == 1 {
				w.key("approvers")
				w.openArray()
				o.writeUserRef(w, 0)
				w.closeArray()
			}
			w.close()
		}
		if archivedStages {
			w.open()
			w.fieldUUID("id", o.id(kindTrainingPath, 3))
			w.fieldString("interviewerRole", "Shadow")
			w.fieldInt("interviewsRequired", 1)
			w.fieldBool("isArchived", true)
			w.fieldBool("approvalRequired", false)
			w.close()
		}
		w.closeArray()
		w.close()
	}
}
