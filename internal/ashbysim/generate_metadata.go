package ashbysim

import (
	"strconv"
)

var brandNames = []string{"Example Co", "Example Labs", "Example Health"}

func (o *org) writeBrand(w *jsonWriter, i int) {
	name := numbered(brandNames, i)
	w.open()
	w.fieldUUID("id", o.id(kindBrand, i))
	w.fieldString("name", name)
	w.fieldString("hostedJobsPageSlug", emailLocalPart(name))
	w.close()
}

// writeHiringTeamRole writes role i as a bare title, the default of
// hiringTeamRole.list, or as {id, title} when namesOnly is false.
func (o *org) writeHiringTeamRole(w *jsonWriter, i int, q *query) {
	if q.namesOnly {
		w.string(hiringTeamRoles[i])
		return
	}
	w.open()
	w.fieldUUID("id", o.id(kindHiringTeamRole, i))
	w.fieldString("title", hiringTeamRoles[i])
	w.close()
}

// applicationRoleTitles are the roles a user can hold on one application.
var applicationRoleTitles = []string{"Recruiter", "Coordinator", "Hiring Manager", "Sourcer", "Referrer"}

func (o *org) writeApplicationRole(w *jsonWriter, i int) {
	w.open()
	w.fieldUUID("id", o.id(kindApplicationRole, i))
	w.fieldString("title", applicationRoleTitles[i])
	w.close()
}

type closeReasonSpec struct {
	text     string
	archived bool
}

var closeReasonSpecs = []closeReasonSpec{
	{"Position filled", false}, {"Budget withdrawn", false}, {"Role redefined", false},
	{"Hired internally", false}, {"Hiring freeze", false}, {"Duplicate opening", true},
}

func (o *org) writeCloseReason(w *jsonWriter, i int) {
	w.open()
	w.fieldUUID("id", o.id(kindCloseReason, i))
	w.fieldString("reasonText", closeReasonSpecs[i].text)
	w.fieldBool("isArchived", closeReasonSpecs[i].archived)
	w.close()
}

// trackingLinkSources holds the source of each tracking link.
var trackingLinkSources = []int{1, 2, 3, 4, 7, 10, 11, 13}

// trackingLinkEnabled reports whether link i is enabled; every fourth is
// disabled and shows only with includeDisabled.
func trackingLinkEnabled(i int) bool { return i%4 != 3 }

func (o *org) writeTrackingLink(w *jsonWriter, i int) {
	code := "src" + strconv.Itoa(1000+i*37)
	w.open()
	w.fieldUUID("id", o.id(kindTrackingLink, i))
	w.fieldString("code", code)
	w.fieldBool("enabled", trackingLinkEnabled(i))
	w.fieldUUID("sourceId", o.id(kindSource, trackingLinkSources[i]))
	w.fieldString("link", "https://jobs.ashbyhq.com/example?utm_source="+code)
	w.close()
}

// Feedback forms: form 0 is the default, the last one is archived. Shared
// interview i uses form i%(forms-1), so no interview uses the archived form.
var feedbackFormTitles = []string{
	"Standard Scorecard", "Technical Scorecard", "Hiring Manager Scorecard",
	"Values Scorecard", "Legacy Scorecard 2022",
}

func feedbackFormArchived(f int) bool { return f == len(feedbackFormTitles)-1 }

// formField is one question of a generated form.
type formField struct {
	path, title, typ string
	required         bool
	options          []selectOption
}

var recommendationOptions = opts(
	"Strong yes", "strong_yes", "Yes", "yes", "No", "no", "Strong no", "strong_no")

// feedbackFields are the questions of the feedback forms. Form f contains
// the first 3+f%3 of them.
var feedbackFields = []formField{
	{"overall_recommendation", "Overall recommendation", "ValueSelect", true, recommendationOptions},
	{"score", "Score", "Score", true, nil},
	{"notes", "Interview notes", "RichText", false, nil},
	{"strengths", "Strengths", "LongText", false, nil},
	{"would_work_with", "Would work with again", "Boolean", false, nil},
}

func feedbackFieldCount(form int) int { return 3 + form%3 }

// writeFormDefinition writes the formDefinition object of a form whose
// fields are fields; base numbers the field ids.
func (o *org) writeFormDefinition(w *jsonWriter, title string, fields []formField, base int) {
	w.open()
	w.key("sections")
	w.openArray()
	w.open()
	w.fieldString("title", title)
	w.key("fields")
	w.openArray()
	for k, f := range fields {
		w.open()
		w.fieldBool("isRequired", f.required)
		w.key("field")
		w.open()
		w.fieldUUID("id", o.id(kindFormField, base+k))
		w.fieldString("type", f.typ)
		w.fieldString("path", f.path)
		w.fieldString("humanReadablePath", f.title)
		w.fieldString("title", f.title)
		w.fieldBool("isNullable", !f.required)
		if f.options != nil {
			w.key("selectableValues")
			w.openArray()
			for _, opt := range f.options {
				w.open()
				w.fieldString("label", opt.label)
				w.fieldString("value", opt.value)
				w.close()
			}
			w.closeArray()
		}
		w.close()
		w.close()
	}
	w.closeArray()
	w.close()
	w.closeArray()
	w.close()
}

// Field id bases keep the fields of different form families apart.
const (
	fieldsOfFeedbackForm = 0
	fieldsOfSurveyForm   = 1 << 20
	fieldsOfOfferForm    = 2 << 20
)

func (o *org) writeFeedbackForm(w *jsonWriter, f int) {
	w.open()
	w.fieldUUID("id", o.id(kindFeedbackForm, f))
	w.fieldUUID("organizationId", o.id(kindOrganization, 0))
	w.fieldString("title", feedbackFormTitles[f])
	w.fieldBool("isArchived", feedbackFormArchived(f))
	w.fieldBool("isDefaultForm", f == 0)
	w.key("formDefinition")
	o.writeFormDefinition(w, "Scorecard", feedbackFields[:feedbackFieldCount(f)], fieldsOfFeedbackForm+f*16)
	if f > 0 && !feedbackFormArchived(f) {
		// Forms 1-3 belong to the shared interviews of the same number.
		w.fieldUUID("interviewId", o.id(kindInterview, f))
	}
	w.close()
}

type surveyFormSpec struct {
	title, surveyType string
	fields            []formField
}

var surveyFormSpecs = []surveyFormSpec{
	{"Candidate Experience Survey", "CandidateExperience", []formField{
		{"experience_rating", "How was your interview experience?", "Score", true, nil},
		{"comments", "Anything we could improve?", "LongText", false, nil},
	}},
	{"Application Questionnaire", "Questionnaire", []formField{
		{"notice_period", "Notice period", "ValueSelect", true,
			opts("Immediately", "now", "One month", "1m", "Three months", "3m")},
		{"work_permit", "Do you hold a work permit?", "Boolean", true, nil},
	}},
	{"Voluntary Self-Identification", "EEOC", []formField{
		{"veteran_status", "Veteran status", "ValueSelect", false,
			opts("Yes", "yes", "No", "no", "Prefer not to say", "undisclosed")},
	}},
	{"Diversity Survey", "Diversity", []formField{
		{"pronouns", "Pronouns", "String", false, nil},
	}},
}

// surveyFormOf returns the survey form of survey type t (an index into
// surveyTypes): the first two forms match the two types.
func surveyFormOf(t int) int { return t }

func (o *org) writeSurveyForm(w *jsonWriter, f int) {
	spec := surveyFormSpecs[f]
	w.open()
	w.fieldUUID("id", o.id(kindSurveyForm, f))
	w.fieldUUID("organizationId", o.id(kindOrganization, 0))
	w.fieldString("title", spec.title)
	w.fieldBool("isArchived", false)
	w.fieldBool("isDefaultForm", true)
	w.key("formDefinition")
	o.writeFormDefinition(w, spec.title, spec.fields, fieldsOfSurveyForm+f*16)
	w.fieldString("surveyType", spec.surveyType)
	w.close()
}

// interviewerPoolVisible hides the archived last pool unless
// includeArchivedPools is set.
func interviewerPoolVisible(p int, q *query) bool {
	return q.includeArchivedPools || p != len(poolTitles)-1
}

// Interviews: the shared interviews come first, one per interviewTitles
// entry, the last of them archived; then job-specific interviews, every
// fifth archived, shown only with includeNonSharedInterviews.
func (o *org) interviewArchived(i int) bool {
	if i < o.n.sharedInterview {
		return i == o.n.sharedInterview-1
	}
	return (i-o.n.sharedInterview)%5 == 4
}

// interviewJob returns the job of a job-specific interview.
func (o *org) interviewJob(i int) int { return (i - o.n.sharedInterview) * 4 % o.n.jobs }

func (o *org) interviewVisible(i int, q *query) bool {
	if i >= o.n.sharedInterview && !q.includeNonShared {
		return false
	}
	return q.includeArchived || !o.interviewArchived(i)
}

func (o *org) interviewTitle(i int) string {
	if i < o.n.sharedInterview {
		return interviewTitles[i]
	}
	return o.jobInfo(o.interviewJob(i)).title + " Deep Dive"
}

func (o *org) writeInterview(w *jsonWriter, i int) {
	title := o.interviewTitle(i)
	w.open()
	w.fieldUUID("id", o.id(kindInterview, i))
	w.fieldString("title", title)
	if i%3 == 0 {
		w.fieldString("externalTitle", "Conversation with the team")
	}
	w.fieldBool("isArchived", o.interviewArchived(i))
	w.fieldBool("isDebrief", title == "Debrief")
	w.fieldBool("isFeedbackRequired", title != "Debrief")
	w.fieldBool("isFeedbackRequested", true)
	instructions := "Use the scorecard. Focus on " + title + "."
	w.fieldString("instructionsHtml", "<p>"+instructions+"</p>")
	w.fieldString("instructionsPlain", instructions)
	if i >= o.n.sharedInterview {
		w.fieldUUID("jobId", o.id(kindJob, o.interviewJob(i)))
	}
	w.fieldUUID("feedbackFormDefinitionId", o.id(kindFeedbackForm, o.interviewForm(i)))
	w.close()
}

// interviewForm returns the feedback form of interview i; it is never the
// archived form.
func (o *org) interviewForm(i int) int { return i % (len(feedbackFormTitles) - 1) }

var planTitles = []string{
	"Engineering Interview Plan", "Sales Interview Plan", "Design Interview Plan",
	"General Interview Plan", "Leadership Interview Plan",
}

// planArchived reports whether plan p is the archived plan, the one past
// the plans that jobs use.
func (o *org) planArchived(p int) bool { return p >= o.n.plans }

func (o *org) writeInterviewPlan(w *jsonWriter, p int) {
	title := numbered(planTitles, p)
	if o.planArchived(p) {
		title = "Retired Interview Plan"
	}
	created := o.spreadTime(kindInterviewPlan, p, o.n.plans+1, historyStart-400*dayMS, 300*dayMS)
	r := o.rng(kindInterviewPlan, p, 0)
	w.open()
	w.fieldUUID("id", o.id(kindInterviewPlan, p))
	w.fieldString("title", title)
	w.fieldBool("isArchived", o.planArchived(p))
	w.fieldTime("createdAt", created)
	w.fieldTime("updatedAt", laterOf(&r, created, 0, 200*dayMS, historyEnd-1))
	w.close()
}

var stageGroupTitles = []string{"Lead", "Application Review", "Interviewing", "Offer", "Hired", "Archived"}

func (o *org) writeStageGroup(w *jsonWriter, g int) {
	w.open()
	w.fieldUUID("id", o.id(kindStageGroup, g))
	w.fieldString("title", stageGroupTitles[g])
	w.fieldInt("order", int64(g))
	w.fieldString("stageType", stageGroupTypes[g])
	w.close()
}

type templateSpec struct {
	title string
	types []string
}

var templateSpecs = []templateSpec{
	{"Application received", []string{"email"}},
	{"Interview invitation", []string{"email"}},
	{"Rejection after screen", []string{"email"}},
	{"Offer follow-up", []string{"email"}},
	{"Sourcing outreach", []string{"email", "inMail"}},
	{"Connection request", []string{"linkedInConnection"}},
}

func (o *org) writeCommunicationTemplate(w *jsonWriter, i int) {
	created := o.spreadTime(kindCommunicationTemplate, i, o.n.templates, historyStart-300*dayMS, 300*dayMS)
	w.open()
	w.fieldUUID("id", o.id(kindCommunicationTemplate, i))
	w.fieldTime("createdAt", created)
	w.fieldTime("updatedAt", created+int64(i)*7*dayMS)
	w.fieldString("title", templateSpecs[i].title)
	w.key("intendedTypes")
	w.openArray()
	for _, t := range templateSpecs[i].types {
		w.string(t)
	}
	w.closeArray()
	w.close()
}

type jobBoardSpec struct {
	title    string
	internal bool
}

// jobBoardSpecs lists the job boards; board 0 is the primary external
// board that jobPosting.list shows without jobBoardId.
var jobBoardSpecs = []jobBoardSpec{
	{"Careers Site", false}, {"Internal Job Board", true}, {"Engineering Careers", false},
}

func (o *org) writeJobBoard(w *jsonWriter, b int) {
	w.open()
	w.fieldUUID("id", o.id(kindJobBoard, b))
	w.fieldString("title", jobBoardSpecs[b].title)
	w.fieldBool("isInternal", jobBoardSpecs[b].internal)
	w.close()
}

// writeJobTemplate writes template t, modelled on job t*7. Every fourth
// template is inactive; the listing shows both states.
func (o *org) writeJobTemplate(w *jsonWriter, t int, q *query) {
	info := o.jobInfo(t * 7 % o.n.jobs)
	plan := t % o.n.plans
	created := o.spreadTime(kindJobTemplate, t, o.n.jobTemplates, historyStart-500*dayMS, 400*dayMS)
	w.open()
	w.fieldUUID("id", o.id(kindJobTemplate, t))
	w.fieldString("title", info.title+" (template)")
	if t%4 == 3 {
		w.fieldString("status", "Inactive")
	} else {
		w.fieldString("status", "Active")
	}
	w.fieldUUID("locationId", o.id(kindLocation, info.office))
	w.fieldUUID("departmentId", o.id(kindDepartment, info.dept))
	w.fieldUUID("defaultInterviewPlanId", o.id(kindInterviewPlan, plan))
	w.key("interviewPlanIds")
	w.openArray()
	w.uuid(o.id(kindInterviewPlan, plan))
	w.closeArray()
	w.fieldTime("createdAt", created)
	w.fieldTime("updatedAt", created+int64(t%5)*30*dayMS)
	if q.expandLocation {
		w.key("location")
		o.writeLocation(w, info.office)
	}
	w.close()
}
