package ashbysim

import "slices"

// Webhook actions, as the action member of a payload and Webhook.Actions
// name them. Apply sends the actions that WebhookActions lists. Ashby also sends
// interviewPlanTransition, pushToHRIS and signatureRequestUpdate, which
// no change of the emulator causes.
const (
	ActionApplicationSubmit       = "applicationSubmit"
	ActionApplicationUpdate       = "applicationUpdate"
	ActionCandidateStageChange    = "candidateStageChange"
	ActionCandidateHire           = "candidateHire"
	ActionCandidateDelete         = "candidateDelete"
	ActionCandidateMerge          = "candidateMerge"
	ActionJobCreate               = "jobCreate"
	ActionJobUpdate               = "jobUpdate"
	ActionJobPostingPublish       = "jobPostingPublish"
	ActionJobPostingUnpublish     = "jobPostingUnpublish"
	ActionJobPostingUpdate        = "jobPostingUpdate"
	ActionJobPostingDelete        = "jobPostingDelete"
	ActionOfferCreate             = "offerCreate"
	ActionOfferUpdate             = "offerUpdate"
	ActionOfferDelete             = "offerDelete"
	ActionInterviewScheduleCreate = "interviewScheduleCreate"
	ActionInterviewScheduleUpdate = "interviewScheduleUpdate"
	ActionOpeningCreate           = "openingCreate"
	ActionSurveySubmit            = "surveySubmit"
	ActionPing                    = "ping"
)

// WebhookActions returns the actions that Apply sends.
func WebhookActions() []string {
	return []string{
		ActionApplicationSubmit, ActionApplicationUpdate, ActionCandidateStageChange,
		ActionCandidateHire, ActionCandidateDelete, ActionCandidateMerge,
		ActionJobCreate, ActionJobUpdate, ActionJobPostingPublish, ActionJobPostingUnpublish,
		ActionJobPostingUpdate, ActionJobPostingDelete, ActionOfferCreate, ActionOfferUpdate,
		ActionOfferDelete, ActionInterviewScheduleCreate, ActionInterviewScheduleUpdate,
		ActionOpeningCreate, ActionSurveySubmit,
	}
}

// otherActions returns Ashby's actions that a webhook may subscribe to
// but that the emulator never sends.
func otherActions() []string {
	return []string{
		"interviewPlanTransition", "pushToHRIS", "signatureRequestUpdate",
		"takeHomeAssignmentAssigned", "takeHomeAssignmentCancelled",
		"takeHomeAssignmentCompleted", "takeHomeAssignmentSubmitted",
	}
}

func knownAction(a string) bool {
	return slices.Contains(WebhookActions(), a) || slices.Contains(otherActions(), a)
}

// event is one webhook event of a batch of changes. The payload is
// written after the whole batch, so it shows the objects as Apply left
// them.
type event struct {
	action string
	k      kind
	i      int
	// other is the surviving candidate of a merge and the job board of
	// a posting event; i is then the merged candidate or the job.
	other int
}

func (cs *changeSet) emit(action string, k kind, i int) {
	cs.events = append(cs.events, event{action: action, k: k, i: i})
}

// emitApplicationMove records the events of application a moving from
// stage before to its current stage. Ashby sends applicationUpdate and
// candidateStageChange alongside candidateHire.
func (cs *changeSet) emitApplicationMove(a, before int) {
	after := cs.o.applicationState(a).stage
	cs.emit(ActionApplicationUpdate, kindApplication, a)
	if after == before {
		return
	}
	cs.emit(ActionCandidateStageChange, kindApplication, a)
	if after == stageHired {
		cs.emit(ActionCandidateHire, kindApplication, a)
	}
}

// emitPostings records the events of the postings of job j after a
// change to the job. Postings are published while their job is open, so
// a job that opens publishes them and one that closes unpublishes them.
// Ashby sends jobPostingUpdate alongside both.
func (cs *changeSet) emitPostings(j int, wasOpen bool) {
	o := cs.o
	open := o.jobStatus(j) == "Open"
	for b := range o.n.jobBoards {
		if !o.postingExists(j, b) {
			continue
		}
		switch {
		case open && !wasOpen:
			cs.events = append(cs.events, event{action: ActionJobPostingPublish, k: kindJobPosting, i: j, other: b})
		case !open && wasOpen:
			cs.events = append(cs.events, event{action: ActionJobPostingUnpublish, k: kindJobPosting, i: j, other: b})
		}
		cs.events = append(cs.events, event{action: ActionJobPostingUpdate, k: kindJobPosting, i: j, other: b})
	}
}

// writeEventData writes the data member of e's payload: the changed
// object in the shape its list endpoint returns, or only ids for deletes
// and merges. It returns false when a later change of the same batch
// deleted the object, so there is nothing to send.
func (o *org) writeEventData(w *jsonWriter, e event) bool {
	w.open()
	switch e.action {
	case ActionCandidateDelete:
		w.key("candidate")
		o.writeIDObject(w, "id", o.id(kindCandidate, e.i))
	case ActionCandidateMerge:
		w.key("deletedCandidate")
		o.writeIDObject(w, "id", o.id(kindCandidate, e.i))
		w.key("mergedCandidate")
		o.writeIDObject(w, "id", o.id(kindCandidate, e.other))
	case ActionOfferDelete:
		w.key("offer")
		w.open()
		w.fieldUUID("id", o.id(kindOffer, e.i))
		w.fieldUUID("applicationId", o.id(kindApplication, o.offerApplicationOf(e.i)))
		w.close()
	case ActionJobPostingDelete:
		// NOTE: Ashby documents this payload only in prose ("the posting id
		// and its job id"); the member names here are a guess.
		w.key("jobPosting")
		w.open()
		w.fieldUUID("id", o.postingID(e.i, 0))
		w.fieldUUID("jobId", o.id(kindJob, e.i))
		w.close()
	default:
		if o.gone(e.k, e.i) || (e.k == kindJobPosting && !o.postingExists(e.i, e.other)) {
			return false
		}
		o.writeEventObject(w, e)
	}
	w.close()
	return true
}

// writeEventObject writes the members of the data of an event about a
// live object.
func (o *org) writeEventObject(w *jsonWriter, e event) {
	switch e.k {
	case kindApplication:
		// Webhook applications have the application.list shape without
		// openings, which the default query leaves out.
		w.key("application")
		o.writeApplication(w, e.i, defaultQuery())
		if e.action != ActionCandidateHire {
			return
		}
		if f, ok := o.latestAcceptedOffer(e.i); ok {
			w.key("offer")
			o.writeOfferInfo(w, f, defaultQuery())
		}
	case kindJob:
		w.key("job")
		o.writeJob(w, e.i, defaultQuery())
	case kindJobPosting:
		w.key("jobPosting")
		o.writeJobPosting(w, e.i, e.other)
	case kindOffer:
		w.key("offer")
		o.writeOfferInfo(w, e.i, defaultQuery())
	case kindInterviewSchedule:
		w.key("interviewSchedule")
		o.writeInterviewSchedule(w, e.i)
	case kindOpening:
		w.key("opening")
		o.writeOpening(w, e.i)
	case kindSurveySubmission:
		w.key("surveySubmission")
		o.writeSurveySubmission(w, e.i)
	}
}

func (o *org) writeIDObject(w *jsonWriter, name string, id uuid) {
	w.open()
	w.fieldUUID(name, id)
	w.close()
}

// defaultQuery returns the query of a list request without parameters,
// which shows objects as webhooks carry them: jobs without unpublished
// posting ids, applications without openings, offers with their form.
func defaultQuery() *query {
	return &query{limit: defaultLimit, namesOnly: true, surveyType: -1}
}

// latestAcceptedOffer returns the newest accepted offer of application a
// that still exists, as candidateHire carries it.
func (o *org) latestAcceptedOffer(a int) (int, bool) {
	var offers []int
	if f, ok := o.generatedOffer(a); ok {
		offers = append(offers, f)
	}
	for f, m := range o.store(kindOffer).muts {
		if f >= o.n.offers && m.parent == a {
			offers = append(offers, f)
		}
	}
	slices.Sort(offers)
	for _, f := range slices.Backward(offers) {
		r := o.rng(kindOffer, f, o.mut(kindOffer, f).versionOrZero())
		if !o.gone(kindOffer, f) && o.offerState(f, &r).acceptance == "Accepted" {
			return f, true
		}
	}
	return 0, false
}
