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
}

// Apply makes one batch of changes and returns the ids of the changed
// objects per list endpoint (e.g. "candidate.list"). Each call advances
// the logical clock by one tick, which is one hour of emulated time. A sync
// token issued before the call makes later requests return exactly these
// objects.
// Changes to jobs also list the postings of those jobs under
// "jobPosting.list", including postings that the change unpublished.
//
// Objects embedded in other objects (users, tags, sources) show their
// generated state, so deactivating a user or archiving a tag changes only
// user.list or candidateTag.list.
func (s *Server) Apply(c Changes) map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.org.apply(c)
}

// changeSet is one Apply in progress.
type changeSet struct {
	o       *org
	at      int64 // emulated time of the change
	n       int   // objects marked so far; spreads their timestamps
	picks   int   // calls of pick so far; each draws from its own stream
	changed map[string][]string
	marked  map[kind]map[int]bool
}

func (o *org) apply(c Changes) map[string][]string {
	o.clock++
	cs := &changeSet{
		o:       o,
		at:      clockTime(o.clock),
		changed: map[string][]string{},
		marked:  map[kind]map[int]bool{},
	}

	// Updates first, so that they pick among objects that existed before
	// this batch.
	for _, i := range cs.pick(kindCandidate, c.UpdatedCandidates, nil) {
		cs.updateCandidate(i)
	}
	for _, a := range cs.pick(kindApplication, c.UpdatedApplications, o.applicationOpen) {
		o.store(kindApplication).ensure(a).version++
		cs.mark(kindApplication, a)
	}
	for _, a := range cs.pick(kindApplication, c.ArchivedApplications, o.applicationOpen) {
		m := o.store(kindApplication).ensure(a)
		cs.mark(kindApplication, a)
		m.archived, m.archivedAt = true, m.updatedAt
	}
	for _, j := range cs.pick(kindJob, c.UpdatedJobs, nil) {
		o.store(kindJob).ensure(j).version++
		cs.markJob(j)
	}
	cs.bumpVersions(kindOffer, c.UpdatedOffers)
	cs.bumpVersions(kindInterviewSchedule, c.UpdatedInterviewSchedules)
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

	for range c.NewCandidates {
		cs.add(kindCandidate)
	}
	for range c.NewJobs {
		cs.markJob(cs.add(kindJob))
	}
	cs.addApplications(c.NewApplications)
	cs.addChildren(kindOffer, c.NewOffers)
	cs.addChildren(kindInterviewSchedule, c.NewInterviewSchedules)
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
	return cs.changed
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

// markJob marks a job and its posting.
func (cs *changeSet) markJob(j int) {
	cs.mark(kindJob, j)
	posting := cs.o.id(kindJobPosting, j).String()
	cs.changed["jobPosting.list"] = append(cs.changed["jobPosting.list"], posting)
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

func (cs *changeSet) updateCandidate(c int) {
	o := cs.o
	m := o.store(kindCandidate).ensure(c)
	m.version++
	cs.mark(kindCandidate, c)
	if c < o.n.candidates {
		first, count := o.baseApplications(c)
		for a := first; a < first+count; a++ {
			cs.mark(kindApplication, a)
		}
	}
	for _, a := range m.extraApps {
		cs.mark(kindApplication, a)
	}
}

func (cs *changeSet) bumpVersions(k kind, n int) {
	for _, i := range cs.pick(k, n, nil) {
		cs.o.store(k).ensure(i).version++
		cs.mark(k, i)
	}
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
	}
}

// addChildren adds n offers or interview schedules for random applications
// that are not archived.
func (cs *changeSet) addChildren(k kind, n int) {
	o := cs.o
	parents := cs.pick(kindApplication, n, o.applicationOpen)
	for _, a := range parents {
		i := cs.add(k)
		o.mut(k, i).parent = a
	}
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
		if !chosen[i] && (eligible == nil || eligible(i)) {
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
