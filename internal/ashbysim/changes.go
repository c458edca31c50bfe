package ashbysim

// Changes describes one batch of changes to the organisation. Each count
// is the number of objects to create, update, archive or deactivate. The
// emulator picks the objects itself, spread over the whole organisation
// and repeatable for a given seed and history of changes. Counts larger
// than the eligible objects are capped.
type Changes struct {
	// NewCandidates adds candidates without applications.
	NewCandidates int
	// UpdatedCandidates gives candidates a new version: one more (modulo
	// four) e-mail address, phone number, social link and tag, other
	// details redrawn, and a new updatedAt. The candidate's applications
	// embed its primary contact details, so they count as changed too.
	UpdatedCandidates int

	// NewApplications adds applications of existing candidates (new ones
	// included) to open jobs; their candidates change too, because
	// applicationIds grows.
	NewApplications int
	// UpdatedApplications moves applications that are not archived to
	// another stage.
	UpdatedApplications int
	// ArchivedApplications archives applications with an archive reason.
	ArchivedApplications int

	// NewJobs adds open jobs, each with a published posting.
	NewJobs int
	// UpdatedJobs toggles jobs between open and their generated status
	// (closed for open jobs) and redraws hiring team and custom fields.
	UpdatedJobs int

	NewOffers                 int // offers for applications that are not archived
	UpdatedOffers             int // a new latest version with new statuses
	NewInterviewSchedules     int // schedules for applications that are not archived
	UpdatedInterviewSchedules int // new status and events

	NewUsers              int
	DeactivatedUsers      int
	NewDepartments        int
	ArchivedDepartments   int
	NewLocations          int
	ArchivedLocations     int
	NewCandidateTags      int
	ArchivedCandidateTags int
	// NewCustomFields adds definitions that no object uses yet.
	NewCustomFields      int
	ArchivedCustomFields int

	// NewOpenings adds openings to open jobs; UpdatedOpenings gives
	// openings a new latest version.
	NewOpenings     int
	UpdatedOpenings int
	// NewApplicationFeedback adds feedback to applications that are not
	// archived; UpdatedApplicationFeedback redraws submitted values.
	NewApplicationFeedback     int
	UpdatedApplicationFeedback int
	// NewApprovals adds approvals of openings; UpdatedApprovals redraws
	// the approvers' decisions.
	NewApprovals     int
	UpdatedApprovals int
	// NewProjects adds projects without candidates. UpdatedProjects gives
	// projects a new description, which changes candidate.listProjects of
	// every candidate on them.
	NewProjects     int
	UpdatedProjects int
	// NewSurveySubmissions and NewSurveyRequests add surveys for
	// applications that are not archived.
	NewSurveySubmissions int
	NewSurveyRequests    int

	// Deletes remove objects from every listing, full or incremental, and
	// make their per-parent endpoints return the not-found error. Deleting
	// a candidate deletes its applications, and deleting an application
	// deletes its offers, interview schedules, feedback and surveys.
	// Incremental listings never report deletes.
	DeletedCandidates   int
	DeletedApplications int // their candidates change: applicationIds shrinks
	DeletedOffers       int
	DeletedOpenings     int
	// DeletedJobPostings deletes postings of open jobs from the primary
	// job board; their jobs change, because jobPostingIds shrinks.
	DeletedJobPostings         int
	DeletedSourceTrackingLinks int
	// MergedCandidates merges that many candidates, each into another
	// candidate: the merged one is deleted, its applications move to the
	// other and count as changed, and the other gains a note.
	MergedCandidates int
}

// Apply makes one batch of changes and returns the ids of the changed
// objects per list endpoint (e.g. "candidate.list"). For per-parent
// endpoints (e.g. "application.listHistory") the ids are those of the
// parents whose children changed, new parents with children included.
// Deleted objects are not listed. Each call advances
// the logical clock by one tick, which is one hour of emulated time. A sync
// token issued before the call makes later requests return exactly these
// objects.
// Changes to jobs also list the postings of those jobs under
// "jobPosting.list", including postings that the change unpublished.
//
// When webhooks are registered with AddWebhook, Apply also queues the
// webhook events of its changes for delivery.
//
// Objects embedded in other objects (users, tags, sources) show their
// generated state, so deactivating a user or archiving a tag changes only
// user.list or candidateTag.list.
func (s *Server) Apply(c Changes) map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed, events := s.org.apply(c)
	s.queueEvents(events)
	return changed
}

// changeSet is one Apply in progress.
type changeSet struct {
	o       *org
	at      int64 // emulated time of the change
	n       int   // objects marked so far; spreads their timestamps
	picks   int   // calls of pick so far; each draws from its own stream
	changed map[string][]string
	marked  map[kind]map[int]bool
	// parents holds, per per-parent endpoint, the parents already listed
	// in changed.
	parents map[string]map[int]bool
	// events lists the webhook events of the batch, in the order the
	// changes happened.
	events []event
}

func (o *org) apply(c Changes) (map[string][]string, []event) {
	o.clock++
	cs := &changeSet{
		o:       o,
		at:      clockTime(o.clock),
		changed: map[string][]string{},
		marked:  map[kind]map[int]bool{},
		parents: map[string]map[int]bool{},
	}

	// Updates first, so that they pick among objects that existed before
	// this batch.
	for _, i := range cs.pick(kindCandidate, c.UpdatedCandidates, nil) {
		cs.updateCandidate(i)
	}
	for _, a := range cs.pick(kindApplication, c.UpdatedApplications, o.applicationOpen) {
		before := o.applicationState(a).stage
		o.store(kindApplication).ensure(a).version++
		cs.stamp(kindApplication, a, "application.listHistory")
		cs.emitApplicationMove(a, before)
	}
	for _, a := range cs.pick(kindApplication, c.ArchivedApplications, o.applicationOpen) {
		m := cs.stamp(kindApplication, a, "application.listHistory")
		m.stamps[len(m.stamps)-1].version = -1
		m.archived, m.archivedAt = true, m.updatedAt
		cs.emit(ActionApplicationUpdate, kindApplication, a)
		cs.emit(ActionCandidateStageChange, kindApplication, a)
	}
	for _, j := range cs.pick(kindJob, c.UpdatedJobs, nil) {
		wasOpen := o.jobStatus(j) == "Open"
		o.store(kindJob).ensure(j).version++
		cs.markJob(j)
		if j < o.n.openings && !o.gone(kindOpening, j) {
			cs.mark(kindOpening, j)
		}
		cs.emit(ActionJobUpdate, kindJob, j)
		cs.emitPostings(j, wasOpen)
	}
	for _, f := range cs.pick(kindOffer, c.UpdatedOffers, nil) {
		o.store(kindOffer).ensure(f).version++
		cs.stamp(kindOffer, f, "offer.info")
		cs.emit(ActionOfferUpdate, kindOffer, f)
	}
	for _, i := range cs.bumpVersions(kindInterviewSchedule, c.UpdatedInterviewSchedules) {
		cs.emit(ActionInterviewScheduleUpdate, kindInterviewSchedule, i)
	}
	cs.bumpVersions(kindOpening, c.UpdatedOpenings)
	cs.bumpVersions(kindFeedback, c.UpdatedApplicationFeedback)
	cs.bumpVersions(kindApproval, c.UpdatedApprovals)
	for _, p := range cs.pick(kindProject, c.UpdatedProjects, nil) {
		o.store(kindProject).ensure(p).version++
		cs.mark(kindProject, p)
		for _, member := range o.projectMembers(p) {
			if !o.gone(kindCandidate, member) {
				cs.markChild("candidate.listProjects", kindCandidate, member)
			}
		}
	}
	cs.archive(kindUser, c.DeactivatedUsers, func(i int) bool {
		m := o.mut(kindUser, i)
		return i > 0 && o.user(i).enabled && (m == nil || !m.archived)
	})
	cs.archive(kindDepartment, c.ArchivedDepartments, func(i int) bool {
		return i >= o.n.topDepts && !o.departmentArchived(i)
	})
	cs.archive(kindLocation, c.ArchivedLocations, func(i int) bool {
		return !o.location(i).region && !o.locationArchived(i)
	})
	cs.archive(kindCandidateTag, c.ArchivedCandidateTags, func(i int) bool {
		return !o.tagArchived(i)
	})
	cs.archive(kindCustomField, c.ArchivedCustomFields, func(i int) bool {
		return !o.customFieldArchived(i)
	})

	cs.merge(c.MergedCandidates)
	cs.deleteObjects(c)

	for range c.NewCandidates {
		cs.add(kindCandidate)
	}
	for range c.NewJobs {
		j := cs.add(kindJob)
		cs.markJob(j)
		cs.markChild("jobInterviewPlan.info", kindJob, j)
		cs.emit(ActionJobCreate, kindJob, j)
		cs.emitPostings(j, false)
	}
	cs.addApplications(c.NewApplications)
	for _, f := range cs.addChildren(kindOffer, c.NewOffers) {
		cs.markChild("offer.info", kindOffer, f)
		cs.emit(ActionOfferCreate, kindOffer, f)
	}
	for _, i := range cs.addChildren(kindInterviewSchedule, c.NewInterviewSchedules) {
		cs.emit(ActionInterviewScheduleCreate, kindInterviewSchedule, i)
		cs.emit(ActionInterviewScheduleUpdate, kindInterviewSchedule, i)
	}
	cs.addChildren(kindFeedback, c.NewApplicationFeedback)
	for _, i := range cs.addChildren(kindSurveySubmission, c.NewSurveySubmissions) {
		cs.emit(ActionSurveySubmit, kindSurveySubmission, i)
	}
	cs.addChildren(kindSurveyRequest, c.NewSurveyRequests)
	cs.addOpenings(c.NewOpenings)
	cs.addApprovals(c.NewApprovals)
	for range c.NewProjects {
		cs.add(kindProject)
	}
	for _, batch := range []struct {
		k kind
		n int
	}{
		{kindUser, c.NewUsers}, {kindDepartment, c.NewDepartments}, {kindLocation, c.NewLocations},
		{kindCandidateTag, c.NewCandidateTags}, {kindCustomField, c.NewCustomFields},
	} {
		for range batch.n {
			cs.add(batch.k)
		}
	}
	for u := o.n.users; u < o.store(kindUser).total(); u++ {
		if o.mut(kindUser, u).created == o.clock {
			cs.markChild("user.interviewerSettings", kindUser, u)
		}
	}
	cs.dropDeleted()
	return cs.changed, cs.events
}

// dropDeleted removes from the result the objects, postings and parents
// that a delete or merge of this batch removed after an earlier step
// marked them.
func (cs *changeSet) dropDeleted() {
	o := cs.o
	removed := map[string]bool{}
	for k, indexes := range cs.marked {
		for i := range indexes {
			if o.gone(k, i) {
				removed[o.id(k, i).String()] = true
			}
		}
	}
	for endpoint, parents := range cs.parents {
		ref := endpointByName(endpoint).parent
		for i := range parents {
			if o.gone(ref.kind, i) {
				removed[o.id(ref.kind, i).String()] = true
			}
		}
	}
	for j := range cs.marked[kindJob] {
		if !o.postingExists(j, 0) {
			removed[o.postingID(j, 0).String()] = true
		}
	}
	if len(removed) == 0 {
		return
	}
	for endpoint, ids := range cs.changed {
		kept := ids[:0]
		for _, id := range ids {
			if !removed[id] {
				kept = append(kept, id)
			}
		}
		if len(kept) == 0 {
			delete(cs.changed, endpoint)
		} else {
			cs.changed[endpoint] = kept
		}
	}
}

// applicationOpen reports whether application a is not archived.
func (o *org) applicationOpen(a int) bool { return o.applicationState(a).status != "Archived" }

// mark records object i of kind k as changed by this batch.
func (cs *changeSet) mark(k kind, i int) *mutation {
	m := cs.o.store(k).ensure(i)
	if cs.marked[k] == nil {
		cs.marked[k] = map[int]bool{}
	}
	if !cs.marked[k][i] {
		cs.marked[k][i] = true
		name := endpointOfKind(k)
		cs.changed[name] = append(cs.changed[name], cs.o.id(k, i).String())
	}
	m.updated = cs.o.clock
	m.updatedAt = cs.at + int64(cs.n)%hourMS
	cs.n++
	return m
}

// markJob marks a job and its postings.
func (cs *changeSet) markJob(j int) {
	cs.mark(kindJob, j)
	for b := range cs.o.n.jobBoards {
		if cs.o.postingExists(j, b) {
			posting := cs.o.postingID(j, b).String()
			cs.changed["jobPosting.list"] = append(cs.changed["jobPosting.list"], posting)
		}
	}
}

// markChild records that the children of parent i of kind k, listed by
// endpoint, changed.
func (cs *changeSet) markChild(endpoint string, k kind, i int) {
	seen := cs.parents[endpoint]
	if seen == nil {
		seen = map[int]bool{}
		cs.parents[endpoint] = seen
	}
	if !seen[i] {
		seen[i] = true
		cs.changed[endpoint] = append(cs.changed[endpoint], cs.o.id(k, i).String())
	}
}

// stamp marks object i of kind k and records a change that adds a child
// item, listed by the per-parent endpoint.
func (cs *changeSet) stamp(k kind, i int, endpoint string) *mutation {
	m := cs.mark(k, i)
	m.stamps = append(m.stamps, stamp{clock: cs.o.clock, at: m.updatedAt, version: m.version})
	cs.markChild(endpoint, k, i)
	return m
}

// add appends a new object of kind k and returns its index.
func (cs *changeSet) add(k kind) int {
	s := cs.o.store(k)
	i := s.total()
	s.added++
	m := cs.mark(k, i)
	m.created, m.createdAt = cs.o.clock, m.updatedAt
	return i
}

// updateCandidate gives candidate c a new version and a note.
func (cs *changeSet) updateCandidate(c int) {
	o := cs.o
	o.store(kindCandidate).ensure(c).version++
	cs.stamp(kindCandidate, c, "candidate.listNotes")
	for _, a := range o.candidateApps(c) {
		cs.mark(kindApplication, a)
	}
}

// bumpVersions gives n objects of kind k a new version and returns their
// indexes.
func (cs *changeSet) bumpVersions(k kind, n int) []int {
	picked := cs.pick(k, n, nil)
	for _, i := range picked {
		cs.o.store(k).ensure(i).version++
		cs.mark(k, i)
	}
	return picked
}

func (cs *changeSet) archive(k kind, n int, eligible func(int) bool) {
	for _, i := range cs.pick(k, n, eligible) {
		m := cs.mark(k, i)
		m.archived, m.archivedAt = true, m.updatedAt
	}
}

// addApplications adds n applications, each of a random candidate to a
// random job that is open.
func (cs *changeSet) addApplications(n int) {
	o := cs.o
	candidates := o.store(kindCandidate).total()
	jobs := o.store(kindJob).total()
	if n <= 0 || candidates == 0 {
		return
	}
	r := o.rng(kindApplication, int(o.clock), 0xadd)
	for range n {
		c := r.intn(candidates)
		for tries := 0; o.gone(kindCandidate, c) && tries < candidates; tries++ {
			c = (c + 1) % candidates
		}
		j := r.intn(jobs)
		for tries := 0; o.jobStatus(j) != "Open" && tries < jobs; tries++ {
			j = (j + 1) % jobs
		}
		a := cs.add(kindApplication)
		m := o.mut(kindApplication, a)
		m.parent, m.job = c, j
		cm := o.store(kindCandidate).ensure(c)
		cm.extraApps = append(cm.extraApps, a)
		cs.mark(kindCandidate, c)
		cs.markChild("application.listHistory", kindApplication, a)
		if o.h(kindClientInfo, a, 0)%10 < 6 {
			cs.markChild("candidate.listClientInfo", kindCandidate, c)
		}
		cs.emit(ActionApplicationSubmit, kindApplication, a)
	}
}

// addChildren adds n objects of kind k (offers, schedules, feedback,
// surveys) for random applications that are not archived, and returns
// their indexes.
func (cs *changeSet) addChildren(k kind, n int) []int {
	o := cs.o
	parents := cs.pick(kindApplication, n, o.applicationOpen)
	var out []int
	for _, a := range parents {
		i := cs.add(k)
		o.mut(k, i).parent = a
		out = append(out, i)
	}
	return out
}

// pick chooses up to n distinct objects of kind k that existed before this
// batch and pass eligible (nil accepts all). It probes random indexes
// first, then scans, so it stays fast for a million objects and still
// finds rare eligible ones.
func (cs *changeSet) pick(k kind, n int, eligible func(int) bool) []int {
	total := cs.o.store(k).total()
	if n <= 0 || total == 0 {
		return nil
	}
	cs.picks++
	r := cs.o.rng(k, int(cs.o.clock), 0x91c0+cs.picks)
	chosen := map[int]bool{}
	var out []int
	try := func(i int) {
		if !chosen[i] && !cs.o.gone(k, i) && (eligible == nil || eligible(i)) {
			chosen[i] = true
			out = append(out, i)
		}
	}
	for tries := 0; len(out) < n && tries < 20*n+100; tries++ {
		try(r.intn(total))
	}
	for i, start := 0, r.intn(total); len(out) < n && i < total; i++ {
		try((start + i) % total)
	}
	return out
}
