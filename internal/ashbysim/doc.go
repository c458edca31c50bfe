// Package ashbysim emulates Ashby's recruiting API over HTTP for tests,
// demos and benchmarks. It serves a generated organisation with every
// object a warehouse reads: candidates, applications, jobs, postings,
// openings, offers, interview schedules, feedback, approvals, projects,
// surveys, users and the hiring-process catalogues, shaped like the
// responses in Ashby's OpenAPI document.
//
// # The organisation
//
// Config.Seed and Config.Candidates fix the organisation byte for byte.
// All other counts derive from the candidate count: about 1.3
// applications per candidate, one job per 50 candidates with at least
// five, one opening per job, one offer per ten applications, one interview
// schedule and one feedback submission per two, one survey submission per
// four and one survey request per three. Small catalogues stay small: at
// most a few hundred users, departments, locations and tags, and a few
// dozen interview plans, interviews, job templates and projects. Objects
// are generated on demand from (seed, kind, index). Memory holds the small
// catalogues, the indexes of the jobs and the changes made with Apply,
// never the candidates, applications or their children.
//
// Generated objects are dated before 2025-01-01 and changes made with
// Apply after it, one hour of emulated time per call; nothing reads the
// wall clock.
// Every custom field value type (Boolean, String, LongText, Number, Date,
// ValueSelect, MultiValueSelect, Currency, NumberRange, CompensationRange)
// appears on candidates, applications, jobs and offers. Each list with an
// includeArchived, includeDeactivated, includeDisabled,
// includeArchivedPools, includeArchivedTrainingStages or
// includeNonSharedInterviews parameter has rows that only those parameters
// show. job.list has drafts that only status ["Draft"] shows, and
// interviewPlan.list has an archived plan.
//
// # The API
//
// Every endpoint takes POST /{object}.{verb} with a JSON body and HTTP
// Basic authentication, the API key as username. Server.Endpoints returns
// the lists that need no parent id, in extraction order:
//
//	catalogues: user.list, department.list, location.list, brand.list,
//	  hiringTeamRole.list, applicationHiringTeamRole.list,
//	  archiveReason.list, closeReason.list, source.list,
//	  sourceTrackingLink.list, candidateTag.list, customField.list,
//	  feedbackFormDefinition.list, surveyFormDefinition.list,
//	  interviewerPool.list, interview.list, interviewPlan.list,
//	  interviewStageGroup.list, communicationTemplate.list, jobBoard.list,
//	  jobPosting.list (per jobBoardId), jobTemplate.list
//	incremental roots: job.list, opening.list, candidate.list,
//	  application.list, offer.list, interviewSchedule.list,
//	  applicationFeedback.list, approval.list, project.list,
//	  surveySubmission.list (per surveyType), surveyRequest.list
//
// Server.ChildEndpoints returns the per-parent endpoints, each taking the
// id of one parent: interviewStage.list (interviewPlanId),
// application.listHistory (applicationId), candidate.listNotes,
// candidate.listProjects and candidate.listClientInfo (candidateId),
// offer.info (offerId), jobInterviewPlan.info (jobId),
// interviewerPool.info (interviewerPoolId), user.interviewerSettings and
// user.listInterviewerPauses (userId). An unknown or deleted parent gives
// HTTP 200 with success false and the parent's not-found code, such as
// application_not_found. apiKey.info returns the key's title, creation
// time and scopes. Server.Endpoint describes an endpoint: its scope,
// paging, parent and not-found code.
//
// Responses follow the shapes of the OpenAPI document. Paginated lists
// page with limit (default and maximum 100) and cursor. The last page of
// a list that supports incremental sync carries a syncToken, and a later
// request with that token returns the objects changed since.
// brand.list, application.listHistory and candidate.listProjects page
// without sync tokens. source.list, closeReason.list,
// sourceTrackingLink.list, jobBoard.list and interviewStage.list return
// everything at once with moreDataAvailable false. jobPosting.list,
// archiveReason.list, hiringTeamRole.list, applicationHiringTeamRole.list,
// interviewStageGroup.list, communicationTemplate.list and
// user.listInterviewerPauses return plain results, and the .info
// endpoints return one object. A sync token of surveySubmission.list or
// of a per-parent endpoint belongs to one survey type or one parent.
// Errors are HTTP 200 with success false and errorInfo.code
// (invalid_input, sync_token_invalid, invalid_next_cursor,
// application_not_found, ...), except 401 without credentials, 403 with
// code missing_endpoint_permission for an unknown key or a missing scope,
// and 404 with code endpoint_not_found for an unknown endpoint.
//
// Incremental listings never return deleted objects, because Ashby's
// lists do not document deletes and its webhooks announce them. A full
// listing no longer returns them.
//
// # Running it
//
// Standalone, for a demo or a benchmark:
//
//	srv := ashbysim.New(ashbysim.Config{
//		Seed:       1,
//		Candidates: 1_000_000,
//		APIKeys:    map[string][]string{apiKey: nil}, // nil: every scope
//	})
//	baseURL, err := srv.Start("127.0.0.1:0")
//	if err != nil {
//		return err
//	}
//	defer srv.Close()
//	// Point the Ashby source at baseURL instead of https://api.ashbyhq.com.
//
// In a test, change the organisation between two loads and compare the
// destination with the emulator's truth:
//
//	changed := srv.Apply(ashbysim.Changes{NewCandidates: 5, UpdatedCandidates: 10, ArchivedApplications: 3,
//		DeletedCandidates: 2, MergedCandidates: 1})
//	// changed["candidate.list"] holds the ids an incremental load must fetch,
//	// changed["candidate.listNotes"] the candidates whose notes changed.
//	want, err := srv.Objects("candidate.list", srv.ParamsForAll("candidate.list"))
//	// Per-parent endpoints, jobPosting.list and surveySubmission.list have
//	// one parameter set per parent, job board or survey type.
//	sets, err := srv.ParamSets("application.listHistory")
//	for _, params := range sets {
//		history, err := srv.Objects("application.listHistory", params)
//	}
//
// Inject failures while the server runs, and read what clients sent.
// Some faults replace the response with an error: 429 with Retry-After,
// a 5xx status, or success false with a code (sync_token_expired,
// invalid_next_cursor, a parent's not-found code or any other). Others
// deliver the normal response badly: FaultSlow spreads the body over
// Fault.Delay, FaultTruncated closes the connection halfway through the
// body, and FaultHang sends nothing until the client gives up or
// Fault.Delay passes. Endpoint, OnlyWithSyncToken and OnlyWithCursor
// select requests; Skip lets the first matching requests through, Times
// bounds the faulted ones, and PerEndpoint counts both per endpoint:
//
//	srv.AddFault(ashbysim.Fault{Kind: ashbysim.FaultRateLimit, Endpoint: "candidate.list", Times: 2, RetryAfter: 1})
//	srv.AddFault(ashbysim.Fault{Kind: ashbysim.FaultSyncTokenExpired})
//	srv.AddFault(ashbysim.Fault{Kind: ashbysim.FaultParentNotFound, Endpoint: "application.listHistory", Times: 3})
//	// A burst: the first three requests to every endpoint get a 503.
//	srv.AddFault(ashbysim.Fault{Kind: ashbysim.FaultServerError, Status: 503, Times: 3, PerEndpoint: true})
//	// The cursor of page 3 of application.list (the second request with
//	// a cursor) has expired, once.
//	srv.AddFault(ashbysim.Fault{Kind: ashbysim.FaultErrorCode, Code: "next_cursor_expired",
//		Endpoint: "application.list", OnlyWithCursor: true, Skip: 1, Times: 1})
//	srv.AddFault(ashbysim.Fault{Kind: ashbysim.FaultHang, Endpoint: "offer.list", Times: 1, Delay: 5 * time.Second})
//	for _, r := range srv.Requests() {
//		fmt.Println(r.Endpoint, r.SyncToken, r.Cursor, r.Status, r.ErrorCode)
//	}
//
// The request log never holds the API key, and neither do log messages.
//
// # Webhooks
//
// AddWebhook registers a receiver URL and pings it; a failed ping leaves
// the webhook disabled until EnableWebhook succeeds. Each later Apply
// sends the events Ashby would send for its changes (the Actions list),
// each payload {webhookActionId, action, data} signed with the webhook's
// secret in the Ashby-Signature header. Objects in data have the shape
// their list endpoint returns and their state after the Apply. Failed
// deliveries are retried in the background as Ashby retries them, with
// the delay unit set by Config.Webhooks.RetryBase:
//
//	srv := ashbysim.New(ashbysim.Config{Webhooks: ashbysim.WebhookConfig{RetryBase: time.Millisecond}})
//	id, err := srv.AddWebhook(ctx, ashbysim.Webhook{URL: receiverURL, Secret: secret})
//	srv.Apply(ashbysim.Changes{UpdatedApplications: 10, DeletedCandidates: 1})
//	err = srv.WaitDelivered(ctx)
//	for _, d := range srv.Deliveries() {
//		fmt.Println(d.WebhookActionID, d.Action, d.Attempt, d.Status, d.Error)
//	}
//
// The emulator sends no event for changes that Ashby announces with no
// webhook: candidate updates, deleted applications and openings, and
// changes to catalogues, feedback, approvals and projects.
package ashbysim
