package ashbysim

import (
	"strconv"
)

// candidateApps returns the current applications of candidate c: its
// generated ones that no merge moved away, then those added by changes or
// moved to it by merges. Deleted applications are left out.
func (o *org) candidateApps(c int) []int {
	var out []int
	if c < o.n.candidates {
		first, count := o.baseApplications(c)
		for a := first; a < first+count; a++ {
			if m := o.mut(kindApplication, a); m == nil || !m.moved && !m.deleted {
				out = append(out, a)
			}
		}
	}
	for _, a := range o.mut(kindCandidate, c).extraAppList() {
		if !o.mut(kindApplication, a).isDeleted() && o.candidateOf(a) == c {
			out = append(out, a)
		}
	}
	return out
}

func (m *mutation) extraAppList() []int {
	if m == nil {
		return nil
	}
	return m.extraApps
}

// historyItems returns the stage history of application a: the stages
// of its generated path, then one entry per change that moved or
// archived it. index is the stage.
func (o *org) historyItems(a int) []childItem {
	created := o.applicationCreatedAt(a)
	var path []int
	var end int64
	switch {
	case a >= o.n.applications:
		path = []int{stageFirstAct}
	default:
		st := o.generatedApplicationState(a, applicationState{job: o.applicationJob(a)})
		switch st.stage {
		case stageLead:
			path = []int{stageLead}
		case stageArchived:
			last := stageFirstAct + int(o.h(kindApplication, a, 0x415)%3)
			for s := stageFirstAct; s <= last; s++ {
				path = append(path, s)
			}
			path = append(path, stageArchived)
			end = st.archivedAt
		default:
			for s := stageFirstAct; s <= st.stage; s++ {
				path = append(path, s)
			}
		}
	}
	if end == 0 {
		end = min(created+int64(len(path))*4*dayMS, historyEnd-1)
	}

	items := make([]childItem, 0, len(path)+2)
	step := (end - created) / int64(max(len(path)-1, 1))
	for k, s := range path {
		at := created + int64(k)*step
		if k == len(path)-1 && len(path) > 1 {
			at = end
		}
		items = append(items, childItem{at: at, index: s})
	}
	if a >= o.n.applications {
		items[0].clock = o.mut(kindApplication, a).created
	}

	for _, st := range o.mut(kindApplication, a).stampList() {
		stage := stageArchived
		if st.version >= 0 {
			r := o.rng(kindApplication, a, st.version)
			stage = r.between(stageFirstAct, stageHired)
		}
		items = append(items, childItem{clock: st.clock, at: st.at, index: stage})
	}
	return items
}

func (o *org) writeHistoryEntry(w *jsonWriter, k int, q *query) {
	a, item := q.parent, q.children[k]
	plan := o.jobPlan(o.applicationJob(a))
	w.open()
	w.fieldUUID("id", o.id(kindHistoryEntry, a<<5|k&31))
	w.fieldUUID("stageId", o.stageID(plan, item.index))
	w.fieldString("title", planStages[item.index].title)
	w.fieldTime("enteredStageAt", item.at)
	if k+1 < len(q.children) {
		w.fieldTime("leftStageAt", q.children[k+1].at)
	}
	w.fieldInt("stageNumber", int64(k))
	w.key("allowedActions")
	w.openArray()
	if item.clock == 0 {
		w.string("none")
	} else {
		w.string("delete")
		w.string("set_entered_at")
	}
	w.closeArray()
	w.fieldUUID("actorId", o.id(kindUser, o.liveUsers[int(o.h(kindHistoryEntry, a<<5|k&31, 0xac7)%uint64(len(o.liveUsers)))]))
	w.close()
}

// noteItems returns the notes of candidate c: zero to three generated
// ones, then one per change that updated or merged into the candidate.
// index numbers the note.
func (o *org) noteItems(c int) []childItem {
	var items []childItem
	created := o.candidateCreatedAt(c)
	if c < o.n.candidates {
		for k := range int(o.h(kindCandidate, c, 0x707e) % 4) {
			at := min(created+int64(k+1)*5*dayMS, historyEnd-1)
			items = append(items, childItem{at: at, index: k})
		}
	}
	for _, st := range o.mut(kindCandidate, c).stampList() {
		items = append(items, childItem{clock: st.clock, at: st.at, index: len(items)})
	}
	return items
}

var noteTexts = []string{
	"Phone screen went well; strong interest in the platform team.",
	"Asked to be contacted after the summer. Set a reminder.",
	"Referred by a former colleague; see the referral form.",
	"Salary expectations above band; discussed equity.",
	"Prefers async communication. Available Tuesdays and Thursdays.",
	"Profile updated after the latest conversation.",
}

func (o *org) writeNote(w *jsonWriter, k int, q *query) {
	c, item := q.parent, q.children[k]
	h := o.h(kindNote, c, uint64(item.index))
	author := o.liveUsers[int(h%uint64(len(o.liveUsers)))]
	u := o.user(author)
	fi, _ := o.candidateName(c)
	text := noteTexts[int(h>>16%uint64(len(noteTexts)))]
	if item.clock > 0 {
		text = noteTexts[len(noteTexts)-1]
	}
	w.open()
	w.fieldUUID("id", o.id(kindNote, c<<8|item.index&255))
	w.fieldTime("createdAt", item.at)
	w.fieldBool("isPrivate", item.index%4 == 3)
	w.fieldString("content", firstNames[fi]+": "+text)
	w.key("author")
	w.open()
	w.fieldUUID("id", o.id(kindUser, author))
	w.fieldString("firstName", u.first)
	w.fieldString("lastName", u.last)
	w.fieldString("email", u.email)
	w.close()
	w.close()
}

// clientInfoItems returns the client details recorded with the
// applications of candidate c; six in ten applications have them. index
// is the application.
func (o *org) clientInfoItems(c int) []childItem {
	var items []childItem
	for _, a := range o.candidateApps(c) {
		if o.h(kindClientInfo, a, 0)%10 >= 6 {
			continue
		}
		item := childItem{at: o.applicationCreatedAt(a), index: a}
		if m := o.mut(kindApplication, a); m != nil {
			item.clock = max(m.created, m.movedClock)
		}
		items = append(items, item)
	}
	return items
}

func (o *org) writeClientInfo(w *jsonWriter, k int, q *query) {
	item := q.children[k]
	h := o.h(kindClientInfo, item.index, 1)
	w.open()
	w.fieldUUID("id", o.id(kindClientInfo, item.index))
	w.fieldString("ipAddress", testNetPrefixes[h%3]+strconv.Itoa(int(1+h>>8%254)))
	w.fieldString("userAgent", userAgents[int(h>>20%uint64(len(userAgents)))])
	w.fieldString("relatedEntityType", "application")
	w.fieldUUID("relatedEntityId", o.id(kindApplication, item.index))
	w.fieldUUID("candidateId", o.id(kindCandidate, q.parent))
	w.fieldTime("createdAt", item.at)
	w.close()
}

// projectItems returns the projects of candidate c; index is the project.
func (o *org) projectItems(c int) []childItem {
	var items []childItem
	for _, p := range o.candidateProjects(c) {
		items = append(items, childItem{index: p})
	}
	return items
}

// singleItem is the child list of an info endpoint: the parent itself.
func singleItem(*org, int, *query) []childItem { return []childItem{{}} }

// writeJobInterviewPlan writes the interview plan of job j with the
// activities of each stage; the three interviewing stages have one
// activity each.
func (o *org) writeJobInterviewPlan(w *jsonWriter, j int) {
	plan := o.jobPlan(j)
	w.open()
	w.fieldUUID("jobId", o.id(kindJob, j))
	w.fieldUUID("interviewPlanId", o.id(kindInterviewPlan, plan))
	w.key("stages")
	w.openArray()
	for s, spec := range planStages {
		w.open()
		w.fieldUUID("id", o.stageID(plan, s))
		w.fieldString("title", spec.title)
		w.fieldString("type", spec.typ)
		w.fieldInt("orderInInterviewPlan", int64(s))
		w.fieldUUID("interviewStageGroupId", o.id(kindStageGroup, spec.group))
		w.key("activities")
		w.openArray()
		if spec.typ == "Active" {
			activity := plan*len(planStages) + s
			w.open()
			w.fieldUUID("id", o.id(kindPlanActivity, activity))
			w.fieldString("title", spec.title)
			w.key("interviews")
			w.openArray()
			for k := range 1 + (plan+s)%2 {
				interview := (activity + k*5) % o.n.sharedInterview
				w.open()
				w.fieldUUID("id", o.id(kindActivityInterview, activity*2+k))
				w.fieldString("title", interviewTitles[interview])
				w.fieldUUID("interviewId", o.id(kindInterview, interview))
				w.fieldNumber("interviewDurationMinutes", float64(30+15*((activity+k)%3)))
				w.fieldBool("isSchedulable", true)
				w.close()
			}
			w.closeArray()
			w.close()
		}
		w.closeArray()
		w.close()
	}
	w.closeArray()
	w.close()
}

// poolMembers returns the qualified members of pool p: three to six
// consecutive enabled users.
func (o *org) poolMembers(p int) []int {
	size := 3 + p%4
	first := int(o.h(kindInterviewerPool, p, 0x3e3) % uint64(len(o.liveUsers)))
	out := make([]int, 0, size)
	for k := range min(size, len(o.liveUsers)) {
		out = append(out, o.liveUsers[(first+k)%len(o.liveUsers)])
	}
	return out
}

// writePoolInfo writes pool p as interviewerPool.info returns it. Only
// pool 0 has a training path, so only it has trainees.
func (o *org) writePoolInfo(w *jsonWriter, p int) {
	members := o.poolMembers(p)
	w.open()
	o.writeInterviewerPoolFields(w, p, false)
	w.key("qualifiedMembers")
	w.openArray()
	for _, u := range members {
		w.open()
		o.writeUserFields(w, u, o.user(u))
		w.fieldBool("isPaused", o.userPauses(u) > 0)
		w.close()
	}
	w.closeArray()

	w.key("trainees")
	w.openArray()
	if p == 0 {
		first := int(o.h(kindInterviewerPool, p, 0x3e3) % uint64(len(o.liveUsers)))
		for k := range 2 {
			u := o.liveUsers[(first+len(members)+k)%len(o.liveUsers)]
			w.open()
			o.writeUserFields(w, u, o.user(u))
			w.fieldBool("isPaused", false)
			w.key("currentProgress")
			w.open()
			w.fieldUUID("trainingPathId", o.id(kindTrainingPath, 0))
			w.fieldUUID("trainingPathStageId", o.id(kindTrainingPath, 1+k))
			w.fieldInt("interviewsCompleted", int64(k+1))
			w.close()
			w.close()
		}
	}
	w.closeArray()
	w.close()
}

func (o *org) writeInterviewerSettings(w *jsonWriter, u int) {
	h := o.h(kindInterviewerSettings, u, 0)
	w.open()
	w.fieldUUID("id", o.id(kindInterviewerSettings, u))
	w.key("dailyLimit")
	if h%3 == 0 {
		w.null()
	} else {
		w.int(int64(2 + h%3))
	}
	w.key("weeklyLimit")
	if h%5 == 0 {
		w.null()
	} else {
		w.int(int64(6 + h>>8%8))
	}
	w.close()
}

// userPauses returns how many interviewer pauses generated user u has:
// one in five users has one, one in ten has two.
func (o *org) userPauses(u int) int {
	switch {
	case u >= o.n.users:
		return 0
	case u%10 == 7:
		return 2
	case u%5 == 2:
		return 1
	}
	return 0
}

func (o *org) pauseItems(u int) []childItem {
	items := make([]childItem, o.userPauses(u))
	for k := range items {
		items[k] = childItem{index: k}
	}
	return items
}

func (o *org) writeInterviewerPause(w *jsonWriter, k int, q *query) {
	u := q.parent
	start := historyEnd - int64(40-k*20)*dayMS
	w.open()
	w.fieldUUID("id", o.id(kindInterviewerPause, u*4+k))
	w.fieldUUID("userId", o.id(kindUser, u))
	w.fieldTime("startsAt", start)
	w.key("endsAt")
	if k == 0 {
		w.timestamp(start + 14*dayMS)
	} else {
		w.null()
	}
	w.key("comment")
	if u%2 == 0 {
		w.string("Parental leave")
	} else {
		w.null()
	}
	w.fieldTime("createdAt", start-7*dayMS)
	w.close()
}
