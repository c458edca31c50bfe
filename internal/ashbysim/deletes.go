package ashbysim

import "fmt"

// gone reports whether object i of kind k no longer exists: a change
// deleted it, or deleted the object it belongs to. Deleting a candidate
// removes its applications, and removing an application removes its
// offers, interview schedules, feedback and surveys.
func (o *org) gone(k kind, i int) bool {
	switch k {
	case kindApplication:
		return o.mut(k, i).isDeleted() || o.mut(kindCandidate, o.candidateOf(i)).isDeleted()
	case kindOffer:
		return o.mut(k, i).isDeleted() || o.gone(kindApplication, o.offerApplicationOf(i))
	case kindInterviewSchedule:
		return o.gone(kindApplication, o.scheduleApplicationOf(i))
	case kindFeedback:
		return o.gone(kindApplication, o.feedbackApplication(i))
	case kindSurveySubmission:
		return o.gone(kindApplication, o.surveyApplication(i))
	case kindSurveyRequest:
		return o.gone(kindApplication, o.surveyRequestApplication(i))
	case kindApproval:
		if f, ok := o.approvalOffer(i); ok {
			return o.gone(kindOffer, f)
		}
		return o.mut(k, i).isDeleted()
	}
	s := o.stores[k]
	return s != nil && s.muts[i].isDeleted()
}

// resolveParent checks the parent id of a per-parent request and collects
// the parent's child items into q. An id that this organisation never
// issued, an id of another kind and the id of a deleted object all give
// the parent's not-found error, which Ashby returns for ids the key
// cannot see.
func (o *org) resolveParent(ep *endpoint, q *query) error {
	if ep.parent == nil {
		return nil
	}
	p, ok := o.parentIndex(ep.parent, q.parentID.id)
	if !ok {
		return &apiError{ep.parent.notFound, fmt.Sprintf("No %s exists with %s %s, or the API key "+
			"cannot see it. It may have been deleted or merged.",
			kindNoun(ep.parent.kind), ep.parent.param, q.parentID.id)}
	}
	q.parent = p
	q.children = ep.children(o, p, q)
	return nil
}

// parentIndex returns the index of the live object of kind ref.kind that
// has id u.
func (o *org) parentIndex(ref *parentRef, u uuid) (int, bool) {
	k, i, ok := splitID(o.seed, u)
	if !ok || k != ref.kind || i >= o.store(k).total() || o.gone(k, i) {
		return 0, false
	}
	return i, true
}

func kindNoun(k kind) string {
	switch k {
	case kindApplication:
		return "application"
	case kindCandidate:
		return "candidate"
	case kindOffer:
		return "offer"
	case kindJob:
		return "job"
	case kindInterviewerPool:
		return "interviewer pool"
	case kindUser:
		return "user"
	case kindInterviewPlan:
		return "interview plan"
	}
	return "object"
}
