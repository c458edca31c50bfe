package ashbysim

import (
	"strconv"
)

// parentApplication returns the application of child object i of kind k:
// generated children spread over the applications, width applications
// per child, and children added by changes record theirs.
func (o *org) parentApplication(k kind, i, base, width int, salt uint64) int {
	if i >= base {
		return o.mut(k, i).parent
	}
	return o.spreadParent(i, width, salt)
}

func (o *org) feedbackApplication(f int) int {
	return o.parentApplication(kindFeedback, f, o.n.feedback, 2, 0xfeed)
}

func (o *org) surveyApplication(s int) int {
	return o.parentApplication(kindSurveySubmission, s, o.n.surveys, 4, 0x5e7)
}

func (o *org) surveyRequestApplication(s int) int {
	return o.parentApplication(kindSurveyRequest, s, o.n.surveyRequests, 3, 0x5e9)
}

// childCreatedAt places generated child i a few days after its
// application; children added by changes keep their creation time.
func (o *org) childCreatedAt(k kind, i, base, app int) int64 {
	if i >= base {
		return o.mut(k, i).createdAt
	}
	r := o.rng(k, i, 0xc7ea7e)
	return laterOf(&r, o.applicationCreatedAt(app), 2*dayMS, 30*dayMS, historyEnd-1)
}

func (o *org) feedbackCreatedAt(f int) int64 {
	return o.childCreatedAt(kindFeedback, f, o.n.feedback, o.feedbackApplication(f))
}

func (o *org) feedbackVisible(f int, q *query) bool {
	if q.hasCreatedAfter && o.feedbackCreatedAt(f) <= q.createdAfter {
		return false
	}
	return !q.applicationID.excludes(o.id(kindApplication, o.feedbackApplication(f)))
}

var feedbackStrengths = []string{
	"Clear communication and structured thinking.",
	"Deep knowledge of distributed systems.",
	"Asked sharp questions about the team.",
	"Pragmatic trade-offs under time pressure.",
}

// writeFeedback writes feedback submission f. Each update redraws the
// submitted values.
func (o *org) writeFeedback(w *jsonWriter, f int) {
	m := o.mut(kindFeedback, f)
	r := o.rng(kindFeedback, f, m.versionOrZero())
	interview := r.intn(o.n.sharedInterview)
	form := o.interviewForm(interview)
	fields := feedbackFields[:feedbackFieldCount(form)]
	submitted := o.feedbackCreatedAt(f)
	if m != nil && m.version > 0 {
		submitted = m.updatedAt
	}

	w.open()
	w.fieldUUID("id", o.id(kindFeedback, f))
	w.key("formDefinition")
	o.writeFormDefinition(w, "Scorecard", fields, fieldsOfFeedbackForm+form*16)
	w.key("submittedValues")
	w.open()
	for _, field := range fields {
		switch field.typ {
		case "ValueSelect":
			w.fieldString(field.path, pick(&r, field.options).value)
		case "Score":
			// Ashby's own example sends scores as strings.
			w.fieldString(field.path, strconv.Itoa(r.between(1, 4)))
		case "Boolean":
			w.fieldBool(field.path, r.chance(70))
		default:
			w.fieldString(field.path, pick(&r, feedbackStrengths))
		}
	}
	w.close()
	w.key("submittedByUser")
	o.writeUserRef(w, o.liveUsers[r.intn(len(o.liveUsers))])
	w.fieldUUID("interviewId", o.id(kindInterview, interview))
	w.fieldUUID("feedbackFormDefinitionId", o.id(kindFeedbackForm, form))
	w.fieldUUID("applicationId", o.id(kindApplication, o.feedbackApplication(f)))
	w.fieldTime("submittedAt", submitted)
	w.close()
}

// surveyType returns the survey type of submission s, an index into
// surveyTypes: one in three is a questionnaire.
func surveyTypeOf(s int) int {
	if s%3 == 2 {
		return 1
	}
	return 0
}

func (o *org) surveyCreatedAt(s int) int64 {
	return o.childCreatedAt(kindSurveySubmission, s, o.n.surveys, o.surveyApplication(s))
}

func (o *org) surveyVisible(s int, q *query) bool {
	if surveyTypeOf(s) != q.surveyType {
		return false
	}
	return !q.hasCreatedAfter || o.surveyCreatedAt(s) > q.createdAfter
}

func (o *org) writeSurveySubmission(w *jsonWriter, s int) {
	r := o.rng(kindSurveySubmission, s, 0)
	t := surveyTypeOf(s)
	form := surveyFormOf(t)
	a := o.surveyApplication(s)
	w.open()
	w.fieldUUID("id", o.id(kindSurveySubmission, s))
	w.key("surveyFormDefinitionId")
	if s%10 == 9 {
		// Submissions of deleted forms have no form id.
		w.null()
	} else {
		w.uuid(o.id(kindSurveyForm, form))
	}
	w.fieldTime("submittedAt", o.surveyCreatedAt(s))
	w.fieldUUID("candidateId", o.id(kindCandidate, o.candidateOf(a)))
	w.fieldUUID("applicationId", o.id(kindApplication, a))
	w.fieldString("surveyType", surveyTypes[t])

	spec := surveyFormSpecs[form]
	w.key("formDefinition")
	o.writeFormDefinition(w, spec.title, spec.fields, fieldsOfSurveyForm+form*16)
	w.key("submittedValues")
	w.open()
	for _, field := range spec.fields {
		switch field.typ {
		case "Score":
			w.fieldString(field.path, strconv.Itoa(r.between(1, 5)))
		case "Boolean":
			w.fieldBool(field.path, r.chance(80))
		case "ValueSelect":
			w.fieldString(field.path, pick(&r, field.options).value)
		default:
			if r.chance(50) {
				w.fieldString(field.path, "The scheduling was quick and the interviewers were prepared.")
			}
		}
	}
	w.close()
	w.close()
}

func (o *org) surveyRequestVisible(s int, q *query) bool {
	a := o.surveyRequestApplication(s)
	created := o.childCreatedAt(kindSurveyRequest, s, o.n.surveyRequests, a)
	if q.hasCreatedAfter && created <= q.createdAfter {
		return false
	}
	if q.applicationID.excludes(o.id(kindApplication, a)) {
		return false
	}
	return !q.candidateID.excludes(o.id(kindCandidate, o.candidateOf(a)))
}

func (o *org) writeSurveyRequest(w *jsonWriter, s int) {
	a := o.surveyRequestApplication(s)
	id := o.id(kindSurveyRequest, s)
	w.open()
	w.fieldUUID("id", id)
	w.fieldUUID("candidateId", o.id(kindCandidate, o.candidateOf(a)))
	w.fieldUUID("applicationId", o.id(kindApplication, a))
	w.fieldUUID("surveyFormDefinitionId", o.id(kindSurveyForm, surveyFormOf(0)))
	w.fieldString("surveyUrl", "https://app.ashbyhq.com/surveys/"+id.String())
	w.close()
}
