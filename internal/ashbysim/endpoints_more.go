package ashbysim

// catalogueEndpoints are the small catalogues added to the core lists.
var catalogueEndpoints = []*endpoint{
	{
		name: "brand.list", code: 14,
		scope: ScopeOrganizationRead, kind: kindBrand,
		shape: shapeCursor, params: cursorParams,
		visible: always,
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeBrand(w, i) },
	},
	{
		name: "hiringTeamRole.list", code: 15,
		scope: ScopeOrganizationRead, kind: kindHiringTeamRole,
		shape: shapePlain, params: []string{"namesOnly"},
		visible: always,
		write:   func(o *org, w *jsonWriter, i int, q *query) { o.writeHiringTeamRole(w, i, q) },
	},
	{
		name: "applicationHiringTeamRole.list", code: 16,
		scope: ScopeCandidatesRead, kind: kindApplicationRole,
		shape:   shapePlain,
		visible: always,
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeApplicationRole(w, i) },
	},
	{
		name: "closeReason.list", code: 17,
		scope: ScopeHiringProcessMetadataRead, kind: kindCloseReason,
		shape: shapeMore, params: []string{"includeArchived"},
		visible: func(_ *org, i int, q *query) bool {
			return q.includeArchived || !closeReasonSpecs[i].archived
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeCloseReason(w, i) },
	},
	{
		name: "sourceTrackingLink.list", code: 18,
		scope: ScopeHiringProcessMetadataRead, kind: kindTrackingLink,
		shape: shapeMore, params: []string{"includeDisabled"},
		visible: func(_ *org, i int, q *query) bool {
			return q.includeDisabled || trackingLinkEnabled(i)
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeTrackingLink(w, i) },
	},
	{
		name: "feedbackFormDefinition.list", code: 19,
		scope: ScopeHiringProcessMetadataRead, kind: kindFeedbackForm,
		params: withPaging("includeArchived"),
		visible: func(_ *org, i int, q *query) bool {
			return q.includeArchived || !feedbackFormArchived(i)
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeFeedbackForm(w, i) },
	},
	{
		name: "surveyFormDefinition.list", code: 20,
		scope: ScopeHiringProcessMetadataRead, kind: kindSurveyForm,
		params:  withPaging(),
		visible: always,
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeSurveyForm(w, i) },
	},
	{
		name: "interviewerPool.list", code: 21,
		scope: ScopeHiringProcessMetadataRead, kind: kindInterviewerPool,
		params:  withPaging("includeArchivedPools", "includeArchivedTrainingStages"),
		visible: func(_ *org, i int, q *query) bool { return interviewerPoolVisible(i, q) },
		write: func(o *org, w *jsonWriter, i int, q *query) {
			w.open()
			o.writeInterviewerPoolFields(w, i, q.includeArchivedTrainingStages)
			w.close()
		},
	},
	{
		name: "interview.list", code: 22,
		scope: ScopeInterviewsRead, kind: kindInterview,
		params: withPaging("includeArchived", "includeNonSharedInterviews",
			"excludeArchivedScheduleTemplateInterviews"),
		visible: func(o *org, i int, q *query) bool { return o.interviewVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeInterview(w, i) },
	},
	{
		name: "interviewPlan.list", code: 23,
		scope: ScopeInterviewsRead, kind: kindInterviewPlan,
		params: withPaging("includeArchived"),
		visible: func(o *org, i int, q *query) bool {
			return q.includeArchived || !o.planArchived(i)
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeInterviewPlan(w, i) },
	},
	{
		name: "interviewStageGroup.list", code: 25,
		scope: ScopeInterviewsRead, kind: kindStageGroup,
		shape:   shapePlain,
		visible: always,
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeStageGroup(w, i) },
	},
	{
		name: "communicationTemplate.list", code: 26,
		scope: ScopeHiringProcessMetadataRead, kind: kindCommunicationTemplate,
		shape:   shapePlain,
		visible: always,
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeCommunicationTemplate(w, i) },
	},
	{
		name: "jobBoard.list", code: 27,
		scope: ScopeJobsRead, kind: kindJobBoard,
		shape:   shapeMore,
		visible: always,
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeJobBoard(w, i) },
	},
	{
		name: "jobTemplate.list", code: 28,
		scope: ScopeJobsRead, kind: kindJobTemplate,
		params:  withPaging("expand"),
		visible: always,
		write:   func(o *org, w *jsonWriter, i int, q *query) { o.writeJobTemplate(w, i, q) },
	},
}

// rootEndpoints are the incremental roots added to the core lists.
var rootEndpoints = []*endpoint{
	{
		// NOTE: the OpenAPI document lists only results in the response of
		// opening.list, but its request takes cursor and syncToken, so the
		// emulator pages and issues sync tokens as candidate.list does.
		name: "opening.list", code: 29,
		scope: ScopeJobsRead, kind: kindOpening,
		params: withPaging("createdAfter"),
		visible: func(o *org, i int, q *query) bool {
			return !q.hasCreatedAfter || o.openingCreatedAt(i) > q.createdAfter
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeOpening(w, i) },
	},
	{
		name: "applicationFeedback.list", code: 30,
		scope: ScopeCandidatesRead, kind: kindFeedback,
		params:  withPaging("createdAfter", "applicationId"),
		visible: func(o *org, i int, q *query) bool { return o.feedbackVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeFeedback(w, i) },
	},
	{
		name: "approval.list", code: 31,
		scope: ScopeApprovalsRead, kind: kindApproval,
		params:  withPaging("entityType", "entityId"),
		visible: func(o *org, i int, q *query) bool { return o.approvalVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeApproval(w, i) },
	},
	{
		name: "project.list", code: 32,
		scope: ScopeCandidatesRead, kind: kindProject,
		params: withPaging("createdAfter"),
		visible: func(o *org, i int, q *query) bool {
			return !q.hasCreatedAfter || o.projectCreatedAt(i) > q.createdAfter
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeProject(w, i) },
	},
	{
		name: "surveySubmission.list", code: 33,
		scope: ScopeCandidatesRead, kind: kindSurveySubmission,
		params: withPaging("surveyType", "createdAfter"), required: []string{"surveyType"},
		visible: func(o *org, i int, q *query) bool { return o.surveyVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeSurveySubmission(w, i) },
		variant: func(q *query) int { return q.surveyType },
	},
	{
		name: "surveyRequest.list", code: 34,
		scope: ScopeCandidatesRead, kind: kindSurveyRequest,
		params:   withPaging("surveyType", "createdAfter", "applicationId", "candidateId"),
		required: []string{"surveyType"},
		visible:  func(o *org, i int, q *query) bool { return o.surveyRequestVisible(i, q) },
		write:    func(o *org, w *jsonWriter, i int, _ *query) { o.writeSurveyRequest(w, i) },
	},
}

// Not-found codes of per-parent endpoints. The OpenAPI document names
// application_not_found and interview_plan_not_found; the others follow
// the same <object>_not_found pattern, which the document does not list.
const (
	codeApplicationNotFound = "application_not_found"
	codePlanNotFound        = "interview_plan_not_found"
	codeCandidateNotFound   = "candidate_not_found"
	codeOfferNotFound       = "offer_not_found"
	codeJobNotFound         = "job_not_found"
	codePoolNotFound        = "interviewer_pool_not_found"
	codeUserNotFound        = "user_not_found"
)

var (
	applicationParent = &parentRef{"application.list", "applicationId", kindApplication, codeApplicationNotFound}
	candidateParent   = &parentRef{"candidate.list", "candidateId", kindCandidate, codeCandidateNotFound}
	userParent        = &parentRef{"user.list", "userId", kindUser, codeUserNotFound}
)

func parentVariant(q *query) int { return q.parent }

// childEndpoints list the children of one parent object each.
var childEndpoints = []*endpoint{
	{
		name: "interviewStage.list", code: 24,
		scope: ScopeInterviewsRead, kind: kindInterviewStage,
		shape: shapeMore, params: []string{"interviewPlanId"}, required: []string{"interviewPlanId"},
		parent: &parentRef{"interviewPlan.list", "interviewPlanId", kindInterviewPlan, codePlanNotFound},
		children: func(*org, int, *query) []childItem {
			items := make([]childItem, len(planStages))
			for s := range items {
				items[s].index = s
			}
			return items
		},
		visible: always,
		write: func(o *org, w *jsonWriter, k int, q *query) {
			o.writeStage(w, q.parent, q.children[k].index)
		},
	},
	{
		name: "application.listHistory", code: 35,
		scope: ScopeCandidatesRead, kind: kindHistoryEntry,
		shape:  shapeCursor,
		params: append([]string{"applicationId"}, cursorParams...), required: []string{"applicationId"},
		parent:   applicationParent,
		children: func(o *org, a int, _ *query) []childItem { return o.historyItems(a) },
		variant:  parentVariant,
		visible:  always,
		write:    func(o *org, w *jsonWriter, k int, q *query) { o.writeHistoryEntry(w, k, q) },
	},
	{
		name: "candidate.listNotes", code: 36,
		scope: ScopeCandidatesRead, kind: kindNote,
		params: withPaging("candidateId"), required: []string{"candidateId"},
		parent:   candidateParent,
		children: func(o *org, c int, _ *query) []childItem { return o.noteItems(c) },
		variant:  parentVariant,
		visible:  always,
		write:    func(o *org, w *jsonWriter, k int, q *query) { o.writeNote(w, k, q) },
	},
	{
		// The request of candidate.listProjects accepts a syncToken, but its
		// response has none; the emulator ignores the token.
		name: "candidate.listProjects", code: 37,
		scope: ScopeCandidatesRead, kind: kindProject,
		shape:  shapeCursor,
		params: append([]string{"candidateId"}, cursorParams...), required: []string{"candidateId"},
		parent:   candidateParent,
		children: func(o *org, c int, _ *query) []childItem { return o.projectItems(c) },
		variant:  parentVariant,
		visible:  always,
		write: func(o *org, w *jsonWriter, k int, q *query) {
			o.writeProject(w, q.children[k].index)
		},
	},
	{
		name: "candidate.listClientInfo", code: 38,
		scope: ScopeCandidatesRead, kind: kindClientInfo,
		params: withPaging("candidateId"), required: []string{"candidateId"},
		parent:   candidateParent,
		children: func(o *org, c int, _ *query) []childItem { return o.clientInfoItems(c) },
		variant:  parentVariant,
		visible:  always,
		write:    func(o *org, w *jsonWriter, k int, q *query) { o.writeClientInfo(w, k, q) },
	},
	{
		name: "offer.info", code: 39,
		scope: ScopeOffersRead, kind: kindOffer,
		shape:  shapeInfo,
		params: []string{"offerId", "excludeFormDefinition"}, required: []string{"offerId"},
		parent:   &parentRef{"offer.list", "offerId", kindOffer, codeOfferNotFound},
		children: singleItem,
		visible:  always,
		write:    func(o *org, w *jsonWriter, _ int, q *query) { o.writeOfferInfo(w, q.parent, q) },
	},
	{
		name: "jobInterviewPlan.info", code: 40,
		scope: ScopeJobsRead, kind: kindJob,
		shape:  shapeInfo,
		params: []string{"jobId"}, required: []string{"jobId"},
		parent:   &parentRef{"job.list", "jobId", kindJob, codeJobNotFound},
		children: singleItem,
		visible:  always,
		write:    func(o *org, w *jsonWriter, _ int, q *query) { o.writeJobInterviewPlan(w, q.parent) },
	},
	{
		name: "interviewerPool.info", code: 41,
		scope: ScopeHiringProcessMetadataRead, kind: kindInterviewerPool,
		shape:  shapeInfo,
		params: []string{"interviewerPoolId"}, required: []string{"interviewerPoolId"},
		parent: &parentRef{"interviewerPool.list", "interviewerPoolId", kindInterviewerPool,
			codePoolNotFound},
		children: singleItem,
		visible:  always,
		write:    func(o *org, w *jsonWriter, _ int, q *query) { o.writePoolInfo(w, q.parent) },
	},
	{
		name: "user.interviewerSettings", code: 42,
		scope: ScopeOrganizationRead, kind: kindInterviewerSettings,
		shape:  shapeInfo,
		params: []string{"userId"}, required: []string{"userId"},
		parent:   userParent,
		children: singleItem,
		visible:  always,
		write:    func(o *org, w *jsonWriter, _ int, q *query) { o.writeInterviewerSettings(w, q.parent) },
	},
	{
		name: "user.listInterviewerPauses", code: 43,
		scope: ScopeOrganizationRead, kind: kindInterviewerPause,
		shape:  shapePlain,
		params: []string{"userId"}, required: []string{"userId"},
		parent:   userParent,
		children: func(o *org, u int, _ *query) []childItem { return o.pauseItems(u) },
		visible:  always,
		write:    func(o *org, w *jsonWriter, k int, q *query) { o.writeInterviewerPause(w, k, q) },
	},
}
