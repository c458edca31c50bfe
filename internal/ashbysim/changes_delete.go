package ashbysim

// merge merges n candidates, each into another live candidate.
func (cs *changeSet) merge(n int) {
	picked := cs.pick(kindCandidate, 2*n, nil)
	for k := 0; k+1 < len(picked); k += 2 {
		cs.mergeInto(picked[k], picked[k+1])
	}
}

// mergeInto deletes candidate from and moves its applications to into.
// The moved applications count as changed, and their surveys too,
// because those name the candidate.
func (cs *changeSet) mergeInto(from, into int) {
	o := cs.o
	apps := o.candidateApps(from)
	o.store(kindCandidate).ensure(from).deleted = true
	target := o.store(kindCandidate).ensure(into)
	cs.stamp(kindCandidate, into, "candidate.listNotes")
	cs.events = append(cs.events, event{action: ActionCandidateMerge, k: kindCandidate, i: from, other: into})
	for _, a := range apps {
		m := o.store(kindApplication).ensure(a)
		m.parent, m.moved, m.movedClock = into, true, o.clock
		target.extraApps = append(target.extraApps, a)
		cs.mark(kindApplication, a)
		if o.h(kindClientInfo, a, 0)%10 < 6 {
			cs.markChild("candidate.listClientInfo", kindCandidate, into)
		}
		for _, s := range o.childrenOf(kindSurveySubmission, a, o.n.surveys, 4, 0x5e7) {
			cs.mark(kindSurveySubmission, s)
		}
		for _, s := range o.childrenOf(kindSurveyRequest, a, o.n.surveyRequests, 3, 0x5e9) {
			cs.mark(kindSurveyRequest, s)
		}
	}
}

// childrenOf returns the objects of kind k that belong to application a,
// for kinds whose generated objects spread over the applications with
// parentApplication(k, i, base, width, salt).
func (o *org) childrenOf(k kind, a, base, width int, salt uint64) []int {
	var out []int
	if i := a / width; i < base && o.spreadParent(i, width, salt) == a {
		out = append(out, i)
	}
	for i, m := range o.store(k).muts {
		if i >= base && m.parent == a {
			out = append(out, i)
		}
	}
	return out
}

// deleteObjects applies the deletes of c.
func (cs *changeSet) deleteObjects(c Changes) {
	o := cs.o
	for _, i := range cs.pick(kindCandidate, c.DeletedCandidates, nil) {
		o.store(kindCandidate).ensure(i).deleted = true
		cs.emit(ActionCandidateDelete, kindCandidate, i)
	}
	for _, a := range cs.pick(kindApplication, c.DeletedApplications, nil) {
		o.store(kindApplication).ensure(a).deleted = true
		owner := o.candidateOf(a)
		cs.mark(kindCandidate, owner)
		if o.h(kindClientInfo, a, 0)%10 < 6 {
			cs.markChild("candidate.listClientInfo", kindCandidate, owner)
		}
	}
	for _, f := range cs.pick(kindOffer, c.DeletedOffers, nil) {
		o.store(kindOffer).ensure(f).deleted = true
		cs.emit(ActionOfferDelete, kindOffer, f)
	}
	for _, i := range cs.pick(kindOpening, c.DeletedOpenings, nil) {
		o.store(kindOpening).ensure(i).deleted = true
	}
	for _, i := range cs.pick(kindTrackingLink, c.DeletedSourceTrackingLinks, nil) {
		o.store(kindTrackingLink).ensure(i).deleted = true
	}
	postings := cs.pick(kindJob, c.DeletedJobPostings, func(j int) bool {
		return j < o.n.jobs && o.jobStatus(j) == "Open" && o.postingExists(j, 0)
	})
	for _, j := range postings {
		o.store(kindJobPosting).ensure(j).deleted = true
		cs.mark(kindJob, j)
		cs.emit(ActionJobPostingDelete, kindJob, j)
		cs.emit(ActionJobUpdate, kindJob, j)
	}
}

// addOpenings adds n openings, each for a random open job.
func (cs *changeSet) addOpenings(n int) {
	o := cs.o
	jobs := cs.pick(kindJob, n, func(j int) bool { return o.jobStatus(j) == "Open" })
	for _, j := range jobs {
		i := cs.add(kindOpening)
		o.mut(kindOpening, i).job = j
		cs.emit(ActionOpeningCreate, kindOpening, i)
	}
}

// addApprovals adds n approvals, each of a random opening.
func (cs *changeSet) addApprovals(n int) {
	o := cs.o
	for _, opening := range cs.pick(kindOpening, n, nil) {
		i := cs.add(kindApproval)
		o.mut(kindApproval, i).parent = opening
	}
}
