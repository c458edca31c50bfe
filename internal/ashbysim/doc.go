// Package ashbysim emulates Ashby's recruiting API over HTTP for tests,
// demos and benchmarks. It serves a generated organisation: candidates,
// applications, jobs and postings, offers, interview schedules, users,
// departments, locations, sources, archive reasons, candidate tags and
// custom field definitions, shaped like the responses in Ashby's OpenAPI
// document.
//
// # The organisation
//
// Config.Seed and Config.Candidates fix the organisation byte for byte.
// All other counts derive from the candidate count: about 1.3
// applications per candidate, one job per 50 candidates with at least
// five, one offer per ten applications and one interview schedule per two.
// Small catalogues stay small: at most a few hundred users, departments,
// locations and tags. Objects are generated on demand from (seed, kind,
// index). Memory holds the small catalogues, the indexes of the jobs and
// the changes made with Apply, never the candidates or applications.
//
// Generated objects are dated before 2025-01-01 and changes made with
// Apply after it, one hour of emulated time per call; nothing reads the
// wall clock.
// Every custom field value type (Boolean, String, LongText, Number, Date,
// ValueSelect, MultiValueSelect, Currency, NumberRange, CompensationRange)
// appears on candidates, applications, jobs and offers. Each list with an
// includeArchived or includeDeactivated parameter has rows that only those
// parameters show, and job.list has drafts that only status ["Draft"]
// shows.
//
// # The API
//
// Every endpoint takes POST /{object}.{verb} with a JSON body and HTTP
// Basic authentication, the API key as username. The list endpoints are
// user.list, department.list, location.list, source.list,
// archiveReason.list, candidateTag.list, customField.list, job.list,
// jobPosting.list, candidate.list, application.list, offer.list and
// interviewSchedule.list, as Server.Endpoints returns them. apiKey.info
// returns the key's title, creation time and scopes.
//
// Responses follow Ashby's conventions. Lists page with limit (default and
// maximum 100) and cursor. The last page of a list that supports
// incremental sync carries a syncToken, and a later request with that
// token returns the objects changed since. Errors are HTTP 200 with
// success false and errorInfo.code (invalid_input, sync_token_invalid,
// invalid_next_cursor, ...), except 401 without credentials, 403 with
// code missing_endpoint_permission for an unknown key or a missing scope,
// and 404 with code endpoint_not_found for an unknown endpoint.
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
//	changed := srv.Apply(ashbysim.Changes{NewCandidates: 5, UpdatedCandidates: 10, ArchivedApplications: 3})
//	// changed["candidate.list"] holds the ids an incremental load must fetch.
//	want, err := srv.Objects("candidate.list", srv.ParamsForAll("candidate.list"))
//
// Inject failures while the server runs, and read what clients sent:
//
//	srv.AddFault(ashbysim.Fault{Kind: ashbysim.FaultRateLimit, Endpoint: "candidate.list", Times: 2, RetryAfter: 1})
//	srv.AddFault(ashbysim.Fault{Kind: ashbysim.FaultSyncTokenExpired})
//	for _, r := range srv.Requests() {
//		fmt.Println(r.Endpoint, r.SyncToken, r.Cursor, r.Status, r.ErrorCode)
//	}
//
// The request log never holds the API key, and neither do log messages.
package ashbysim
