package ashby

import "slices"

// endpointSpec describes one Ashby endpoint that a resource reads; the
// definition turns it into a resource of the REST engine.
type endpointSpec struct {
	// Name is the resource name and its root table name.
	Name string
	// Endpoint is Ashby's RPC path without the leading slash.
	Endpoint string
	// Scope is the API key permission the endpoint needs, as Ashby names
	// it on the endpoint.
	Scope string
	// Body holds the fixed request parameters, such as includeArchived.
	Body map[string]any
	// Paginated endpoints take cursor and limit.
	Paginated bool
	// Incremental endpoints take syncToken and return one on the last page.
	Incremental bool
	// Parent names the resource whose items this one is read for, once
	// per parent item; ParentParam is the body member that carries the
	// parent's id. The parent's id is stored as _<parent>_id.
	Parent, ParentParam string
	// Selector is the data selector; empty means "results".
	Selector string
	// PrimaryKey defaults to id.
	PrimaryKey []string
}

// pageLimit is the page size to request; Ashby caps it at 100.
const pageLimit = 100

// Permission ids of Ashby API keys.
const (
	scopeCandidates    = "candidatesRead"
	scopeJobs          = "jobsRead"
	scopeInterviews    = "interviewsRead"
	scopeHiringProcess = "hiringProcessMetadataRead"
	scopeOrganization  = "organizationRead"
	scopeOffers        = "offersRead"
	scopeApprovals     = "approvalsRead"
	scopeAPIKeys       = "apiKeysRead"
)

// Survey types of surveySubmission.list and surveyRequest.list.
const (
	surveyCandidateExp  = "CandidateExperience"
	surveyQuestionnaire = "Questionnaire"
)

// resourceSpecs lists the resources in extraction order: the catalogues,
// read whole on every run, then the incremental roots, then the children
// read per parent item. Children of an incremental parent are read only
// for the parent items that changed since the last run.
//
// Lists that hide archived, deactivated or disabled rows by default are
// asked for them, because whether a row archived after a sync token was
// issued is returned without those flags is not documented: asking
// always is the safe choice. job.list returns drafts only when "Draft" is
// among the statuses, so every status is listed.
//
// Write endpoints and the reads with side effects (referralForm.info
// creates a form, report.generate starts a job) are never called; nor
// are the endpoints that need add-on features (fraud checks, AI reviews,
// notetaker transcripts) or that only repeat embedded data
// (interviewEvent.list, whose events interview schedules embed).
func resourceSpecs() []endpointSpec {
	archived := map[string]any{"includeArchived": true}
	return []endpointSpec{
		// Catalogues. users is incremental because its children are read
		// per user, and Ashby's sync token limits them to changed users.
		{Name: "users", Endpoint: "user.list", Scope: scopeOrganization, Body: map[string]any{"includeDeactivated": true}, Paginated: true, Incremental: true},
		{Name: "departments", Endpoint: "department.list", Scope: scopeOrganization, Body: archived, Paginated: true},
		// Regions are omitted unless the hierarchy is asked for.
		{Name: "locations", Endpoint: "location.list", Scope: scopeOrganization, Body: map[string]any{"includeArchived": true, "includeLocationHierarchy": true}, Paginated: true},
		{Name: "brands", Endpoint: "brand.list", Scope: scopeOrganization, Paginated: true},
		// namesOnly defaults to true, which returns bare strings.
		{Name: "hiring_team_roles", Endpoint: "hiringTeamRole.list", Scope: scopeOrganization, Body: map[string]any{"namesOnly": false}},
		{Name: "application_hiring_team_roles", Endpoint: "applicationHiringTeamRole.list", Scope: scopeCandidates},
		{Name: "archive_reasons", Endpoint: "archiveReason.list", Scope: scopeHiringProcess, Body: archived},
		{Name: "close_reasons", Endpoint: "closeReason.list", Scope: scopeHiringProcess, Body: archived},
		// source.list reports moreDataAvailable but takes no cursor.
		{Name: "sources", Endpoint: "source.list", Scope: scopeHiringProcess, Body: archived},
		{Name: "source_tracking_links", Endpoint: "sourceTrackingLink.list", Scope: scopeHiringProcess, Body: map[string]any{"includeDisabled": true}},
		{Name: "candidate_tags", Endpoint: "candidateTag.list", Scope: scopeHiringProcess, Body: archived, Paginated: true},
		{Name: "custom_fields", Endpoint: "customField.list", Scope: scopeHiringProcess, Body: archived, Paginated: true},
		{Name: "feedback_form_definitions", Endpoint: "feedbackFormDefinition.list", Scope: scopeHiringProcess, Body: archived, Paginated: true},
		{Name: "survey_form_definitions", Endpoint: "surveyFormDefinition.list", Scope: scopeHiringProcess, Paginated: true},
		{Name: "interviewer_pools", Endpoint: "interviewerPool.list", Scope: scopeHiringProcess,
			Body: map[string]any{"includeArchivedPools": true, "includeArchivedTrainingStages": true}, Paginated: true},
		{Name: "communication_templates", Endpoint: "communicationTemplate.list", Scope: scopeHiringProcess},
		// Job-specific interviews are left out unless asked for.
		{Name: "interviews", Endpoint: "interview.list", Scope: scopeInterviews,
			Body: map[string]any{"includeArchived": true, "includeNonSharedInterviews": true}, Paginated: true},
		{Name: "interview_plans", Endpoint: "interviewPlan.list", Scope: scopeInterviews, Body: archived, Paginated: true},
		{Name: "interview_stages", Endpoint: "interviewStage.list", Scope: scopeInterviews, Parent: "interview_plans", ParentParam: "interviewPlanId"},
		{Name: "interview_stage_groups", Endpoint: "interviewStageGroup.list", Scope: scopeInterviews},
		{Name: "job_boards", Endpoint: "jobBoard.list", Scope: scopeJobs},
		// jobPosting.list returns one board's published postings at once;
		// a posting listed on two boards is a row per board.
		{Name: "job_postings", Endpoint: "jobPosting.list", Scope: scopeJobs, Parent: "job_boards", ParentParam: "jobBoardId",
			PrimaryKey: []string{"id", "_job_boards_id"}},
		{Name: "job_templates", Endpoint: "jobTemplate.list", Scope: scopeJobs, Paginated: true},

		// Incremental roots.
		{Name: "jobs", Endpoint: "job.list", Scope: scopeJobs, Body: map[string]any{"status": []string{"Draft", "Open", "Closed", "Archived"}}, Paginated: true, Incremental: true},
		{Name: "openings", Endpoint: "opening.list", Scope: scopeJobs, Paginated: true, Incremental: true},
		{Name: "candidates", Endpoint: "candidate.list", Scope: scopeCandidates, Paginated: true, Incremental: true},
		{Name: "applications", Endpoint: "application.list", Scope: scopeCandidates, Paginated: true, Incremental: true},
		{Name: "application_feedback", Endpoint: "applicationFeedback.list", Scope: scopeCandidates, Paginated: true, Incremental: true},
		{Name: "offers", Endpoint: "offer.list", Scope: scopeOffers, Paginated: true, Incremental: true},
		{Name: "interview_schedules", Endpoint: "interviewSchedule.list", Scope: scopeInterviews, Paginated: true, Incremental: true},
		{Name: "approvals", Endpoint: "approval.list", Scope: scopeApprovals, Paginated: true, Incremental: true},
		{Name: "projects", Endpoint: "project.list", Scope: scopeCandidates, Paginated: true, Incremental: true},
		// surveySubmission.list serves one survey type per listing, each
		// with its own sync token.
		{Name: "survey_submissions_candidate_experience", Endpoint: "surveySubmission.list", Scope: scopeCandidates,
			Body: map[string]any{"surveyType": surveyCandidateExp}, Paginated: true, Incremental: true},
		{Name: "survey_submissions_questionnaire", Endpoint: "surveySubmission.list", Scope: scopeCandidates,
			Body: map[string]any{"surveyType": surveyQuestionnaire}, Paginated: true, Incremental: true},
		{Name: "survey_requests", Endpoint: "surveyRequest.list", Scope: scopeCandidates,
			Body: map[string]any{"surveyType": surveyCandidateExp}, Paginated: true, Incremental: true},

		// Children, per parent item.
		{Name: "application_history", Endpoint: "application.listHistory", Scope: scopeCandidates,
			Parent: "applications", ParentParam: "applicationId", Paginated: true},
		{Name: "candidate_notes", Endpoint: "candidate.listNotes", Scope: scopeCandidates,
			Parent: "candidates", ParentParam: "candidateId", Paginated: true},
		// A project's id repeats for every candidate on it.
		{Name: "candidate_projects", Endpoint: "candidate.listProjects", Scope: scopeCandidates,
			Parent: "candidates", ParentParam: "candidateId", Paginated: true, PrimaryKey: []string{"_candidates_id", "id"}},
		{Name: "candidate_client_info", Endpoint: "candidate.listClientInfo", Scope: scopeCandidates,
			Parent: "candidates", ParentParam: "candidateId", Paginated: true},
		// offer.list holds only the latest version of each offer.
		{Name: "offer_versions", Endpoint: "offer.info", Scope: scopeOffers,
			Parent: "offers", ParentParam: "offerId", Selector: "results.versions"},
		{Name: "job_interview_plans", Endpoint: "jobInterviewPlan.info", Scope: scopeJobs,
			Parent: "jobs", ParentParam: "jobId", PrimaryKey: []string{"jobId"}},
		{Name: "interviewer_pool_members", Endpoint: "interviewerPool.info", Scope: scopeHiringProcess,
			Parent: "interviewer_pools", ParentParam: "interviewerPoolId", Selector: "results.qualifiedMembers",
			PrimaryKey: []string{"_interviewer_pools_id", "id"}},
		{Name: "interviewer_pool_trainees", Endpoint: "interviewerPool.info", Scope: scopeHiringProcess,
			Parent: "interviewer_pools", ParentParam: "interviewerPoolId", Selector: "results.trainees",
			PrimaryKey: []string{"_interviewer_pools_id", "id"}},
		{Name: "user_interviewer_settings", Endpoint: "user.interviewerSettings", Scope: scopeOrganization,
			Parent: "users", ParentParam: "userId"},
		{Name: "user_interviewer_pauses", Endpoint: "user.listInterviewerPauses", Scope: scopeOrganization,
			Parent: "users", ParentParam: "userId"},
	}
}

// personalFields lists, per resource, the item fields that hold personal
// data: people's names, email addresses, phone numbers, social links,
// addresses, network addresses, free text about candidates, survey
// answers and file handles. Staff members count too: every embedded user
// (authors, hiring teams, interviewers, approvers) has its names and
// email listed. Config.PII applies its mode to all of them. Custom field
// values are not listed, because what they hold is up to each
// organisation.
var personalFields = map[string][]string{
	"candidates": concat(
		[]string{"name", "primaryEmailAddress.value", "emailAddresses.value", "primaryPhoneNumber.value",
			"phoneNumbers.value", "socialLinks.url", "resumeFileHandle.name", "resumeFileHandle.handle",
			"fileHandles.name", "fileHandles.handle", "location.locationSummary", "location.locationComponents.name"},
		person("creditedToUser")),
	"applications": concat(
		[]string{"candidate.name", "candidate.primaryEmailAddress.value", "candidate.primaryPhoneNumber.value",
			"submitterClientIp", "submitterUserAgent"},
		person("creditedToUser"), person("hiringTeam")),
	"application_feedback":  person("submittedByUser"),
	"candidate_notes":       concat([]string{"content"}, person("author")),
	"candidate_client_info": {"ipAddress", "userAgent"},
	"jobs":                  concat(person("author"), person("hiringTeam")),
	"openings":              person("latestVersion.hiringTeam"),
	"offers": concat([]string{"latestVersion.fileHandles.name", "latestVersion.fileHandles.handle"},
		person("latestVersion.author")),
	"offer_versions": concat([]string{"fileHandles.name", "fileHandles.handle"}, person("author")),
	"interview_schedules": concat(person("scheduledBy"), person("interviewEvents.interviewers"),
		person("interviewEvents.interviewers.interviewerPool.trainingPath.trainingStages.approvers")),
	"interviewer_pools":         person("trainingPath.trainingStages.approvers"),
	"users":                     person(""),
	"interviewer_pool_members":  person(""),
	"interviewer_pool_trainees": person(""),
	// Survey responses are the candidate's own words.
	"survey_submissions_candidate_experience": {"submittedValues"},
	"survey_submissions_questionnaire":        {"submittedValues"},
}

// person returns the personal fields of a user object at path ("" for
// the item itself).
func person(path string) []string {
	prefix := ""
	if path != "" {
		prefix = path + "."
	}
	return []string{prefix + "firstName", prefix + "lastName", prefix + "email"}
}

func concat(lists ...[]string) []string { return slices.Concat(lists...) }

// ResourceInfo describes one resource of the built-in definition, for
// documentation and for tools that check a loaded dataset.
type ResourceInfo struct {
	Name     string
	Endpoint string
	// Scope is the API key permission the endpoint needs.
	Scope string
	// Body holds the fixed request members, without paging members.
	Body map[string]any
	// Incremental resources send the sync token of the last run.
	Incremental bool
	// Parent names the resource whose items this one is read for, and
	// ParentParam the request member that carries a parent's id; the
	// id is stored in the column _<parent>_id.
	Parent, ParentParam string
	// Selector is the path of the items in a response, such as "results"
	// or "results.versions".
	Selector string
	// PrimaryKey lists the item fields of the key.
	PrimaryKey []string
	// PersonalFields lists the item fields that Config.PII transforms.
	PersonalFields []string
}

// Resources describes the resources of the built-in definition in
// extraction order.
func Resources() []ResourceInfo {
	var out []ResourceInfo
	for _, sp := range resourceSpecs() {
		ri := ResourceInfo{Name: sp.Name, Endpoint: sp.Endpoint, Scope: sp.Scope, Body: map[string]any{},
			Incremental: sp.Incremental, Parent: sp.Parent, ParentParam: sp.ParentParam,
			Selector: cmp(sp.Selector, "results"), PrimaryKey: sp.PrimaryKey,
			PersonalFields: slices.Clone(personalFields[sp.Name])}
		for k, v := range sp.Body {
			ri.Body[k] = v
		}
		if len(ri.PrimaryKey) == 0 {
			ri.PrimaryKey = []string{"id"}
		}
		out = append(out, ri)
	}
	return out
}
