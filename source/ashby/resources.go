package ashby

// endpointSpec describes one list endpoint that a resource reads; the
// definition turns it into a resource of the REST engine.
type endpointSpec struct {
	// Name is the resource name and its root table name.
	Name string
	// Endpoint is Ashby's RPC path without the leading slash.
	Endpoint string
	// Body holds the fixed request parameters, such as includeArchived.
	Body map[string]any
	// Paginated endpoints take cursor and limit.
	Paginated bool
	// Incremental endpoints take syncToken and return one on the last page.
	Incremental bool
}

// pageLimit is the page size to request; Ashby caps it at 100.
const pageLimit = 100

// resourceSpecs lists the resources in extraction order: the small
// catalogues first, then the incremental roots.
//
// Lists that hide archived or deactivated rows by default are asked for
// them, because whether a row archived after a sync token was issued is
// returned without includeArchived is not documented: asking always is
// the safe choice. job.list returns drafts only when "Draft" is among the
// statuses, so every status is listed.
func resourceSpecs() []endpointSpec {
	archived := map[string]any{"includeArchived": true}
	return []endpointSpec{
		{Name: "users", Endpoint: "user.list", Body: map[string]any{"includeDeactivated": true}, Paginated: true, Incremental: true},
		{Name: "departments", Endpoint: "department.list", Body: archived, Paginated: true, Incremental: true},
		// Regions are omitted unless the hierarchy is asked for.
		{Name: "locations", Endpoint: "location.list", Body: map[string]any{"includeArchived": true, "includeLocationHierarchy": true}, Paginated: true, Incremental: true},
		// source.list reports moreDataAvailable but takes no cursor.
		{Name: "sources", Endpoint: "source.list", Body: archived},
		{Name: "archive_reasons", Endpoint: "archiveReason.list", Body: archived},
		{Name: "candidate_tags", Endpoint: "candidateTag.list", Body: archived, Paginated: true, Incremental: true},
		{Name: "custom_fields", Endpoint: "customField.list", Body: archived, Paginated: true, Incremental: true},
		{Name: "jobs", Endpoint: "job.list", Body: map[string]any{"status": []string{"Draft", "Open", "Closed", "Archived"}}, Paginated: true, Incremental: true},
		// jobPosting.list returns the primary external board's published
		// postings in one response, with neither cursor nor sync token.
		{Name: "job_postings", Endpoint: "jobPosting.list"},
		{Name: "candidates", Endpoint: "candidate.list", Paginated: true, Incremental: true},
		{Name: "applications", Endpoint: "application.list", Paginated: true, Incremental: true},
		{Name: "offers", Endpoint: "offer.list", Paginated: true, Incremental: true},
		{Name: "interview_schedules", Endpoint: "interviewSchedule.list", Paginated: true, Incremental: true},
	}
}
