package ashbysim

// Permission ids of API keys, as Ashby names them on each endpoint. A key
// needs the permission of an endpoint to call it.
const (
	ScopeCandidatesRead            = "candidatesRead"
	ScopeJobsRead                  = "jobsRead"
	ScopeInterviewsRead            = "interviewsRead"
	ScopeHiringProcessMetadataRead = "hiringProcessMetadataRead"
	ScopeOrganizationRead          = "organizationRead"
	ScopeOffersRead                = "offersRead"
	ScopeAPIKeysRead               = "apiKeysRead"
	ScopeApprovalsRead             = "approvalsRead"
)

// allScopes lists the permissions apiKey.info reports for a key
// configured with nil scopes.
var allScopes = []string{
	ScopeAPIKeysRead, ScopeApprovalsRead, ScopeCandidatesRead, ScopeHiringProcessMetadataRead,
	ScopeInterviewsRead, ScopeJobsRead, ScopeOffersRead, ScopeOrganizationRead,
}

// shape is the form of a list endpoint's success response.
type shape int

const (
	// shapeSync pages with cursor and limit and returns moreDataAvailable,
	// nextCursor, and syncToken on the last page.
	shapeSync shape = iota
	// shapeMore returns every result at once with moreDataAvailable false
	// and takes no cursor (source.list).
	shapeMore
	// shapePlain returns every result at once as plain results
	// (jobPosting.list, archiveReason.list).
	shapePlain
	// shapeCursor pages with cursor and limit like shapeSync but never
	// returns a syncToken (brand.list, application.listHistory).
	shapeCursor
	// shapeInfo returns one object as results (offer.info).
	shapeInfo
)

// pages reports whether the shape takes cursor and limit.
func (s shape) pages() bool { return s == shapeSync || s == shapeCursor }

// endpoint describes one list endpoint: what it needs, what it accepts and
// which objects it shows.
type endpoint struct {
	name   string
	code   byte // part of cursors and sync tokens; never reuse a code
	scope  string
	kind   kind
	shape  shape
	params []string
	// required lists the parameters without which a request is
	// invalid_input.
	required []string
	// visible reports whether object i is in a listing with query q.
	visible func(o *org, i int, q *query) bool
	write   func(o *org, w *jsonWriter, i int, q *query)

	// parent is set on per-parent endpoints, which list the children of
	// one object named by a required id parameter.
	parent *parentRef
	// children returns the child items of parent index p for a
	// per-parent endpoint. write then gets the position of an item in
	// q.children instead of an object index.
	children func(o *org, p int, q *query) []childItem
	// variant numbers the listings of one endpoint that differ in a
	// required parameter, the survey type or the parent. Sync tokens and
	// cursors carry it, so another listing rejects them.
	variant func(q *query) int
}

// parentRef describes the parent of a per-parent endpoint.
type parentRef struct {
	endpoint string // list endpoint of the parents
	param    string // request parameter that holds the parent id
	kind     kind
	// notFound is the errorInfo.code for an unknown or deleted parent.
	notFound string
}

// childItem is one result of a per-parent endpoint.
type childItem struct {
	clock int64 // logical clock of the change that added it; 0 if generated
	at    int64 // epoch ms it was created or entered
	index int   // meaning depends on the endpoint: a stage, an application, ...
	n     int   // a second number the endpoint's writer needs
}

var (
	pageParams   = []string{"limit", "cursor", "syncToken"}
	cursorParams = []string{"limit", "cursor"}
)

func withPaging(params ...string) []string { return append(params, pageParams...) }

func always(*org, int, *query) bool { return true }

// coreEndpoints are the first list endpoints the emulator served.
var coreEndpoints = []*endpoint{
	{
		name: "user.list", code: 7,
		scope: ScopeOrganizationRead, kind: kindUser,
		params: withPaging("includeDeactivated"),
		visible: func(o *org, i int, q *query) bool {
			if q.includeDeactivated {
				return true
			}
			m := o.mut(kindUser, i)
			return o.user(i).enabled && (m == nil || !m.archived)
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeUser(w, i) },
	},
	{
		name: "department.list", code: 8,
		scope: ScopeOrganizationRead, kind: kindDepartment,
		params: withPaging("includeArchived"),
		visible: func(o *org, i int, q *query) bool {
			return q.includeArchived || !o.departmentArchived(i)
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeDepartment(w, i) },
	},
	{
		name: "location.list", code: 9,
		scope: ScopeOrganizationRead, kind: kindLocation,
		params: withPaging("includeArchived", "includeLocationHierarchy"),
		visible: func(o *org, i int, q *query) bool {
			if o.location(i).region && !q.includeLocationHierarchy {
				return false
			}
			return q.includeArchived || !o.locationArchived(i)
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeLocation(w, i) },
	},
	{
		name: "source.list", code: 10,
		scope: ScopeHiringProcessMetadataRead, kind: kindSource,
		shape: shapeMore, params: []string{"includeArchived"},
		visible: func(o *org, i int, q *query) bool {
			return q.includeArchived || !sourceSpecs[i].archived
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeSource(w, i) },
	},
	{
		name: "archiveReason.list", code: 11,
		scope: ScopeHiringProcessMetadataRead, kind: kindArchiveReason,
		shape: shapePlain, params: []string{"includeArchived"},
		visible: func(o *org, i int, q *query) bool {
			return q.includeArchived || !archiveReasonSpecs[i].archived
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeArchiveReason(w, i) },
	},
	{
		name: "candidateTag.list", code: 12,
		scope: ScopeHiringProcessMetadataRead, kind: kindCandidateTag,
		params: withPaging("includeArchived"),
		visible: func(o *org, i int, q *query) bool {
			return q.includeArchived || !o.tagArchived(i)
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeTag(w, i, true) },
	},
	{
		name: "customField.list", code: 13,
		scope: ScopeHiringProcessMetadataRead, kind: kindCustomField,
		params: withPaging("includeArchived"),
		visible: func(o *org, i int, q *query) bool {
			return q.includeArchived || !o.customFieldArchived(i)
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeCustomField(w, i) },
	},
	{
		name: "job.list", code: 3,
		scope: ScopeJobsRead, kind: kindJob,
		params: withPaging("createdAfter", "status", "openedAfter", "openedBefore", "closedAfter",
			"closedBefore", "includeUnpublishedJobPostingsIds", "expand"),
		visible: func(o *org, i int, q *query) bool { return o.jobVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, q *query) { o.writeJob(w, i, q) },
	},
	{
		name: "jobPosting.list", code: 4,
		scope: ScopeJobsRead, kind: kindJob,
		shape: shapePlain, params: []string{"location", "department", "listedOnly", "jobBoardId"},
		visible: func(o *org, i int, q *query) bool { return o.jobPostingVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, q *query) { o.writeJobPosting(w, i, q.board) },
	},
	{
		name: "candidate.list", code: 1,
		scope: ScopeCandidatesRead, kind: kindCandidate,
		params: withPaging("createdAfter"),
		visible: func(o *org, i int, q *query) bool {
			return !q.hasCreatedAfter || o.candidateCreatedAt(i) > q.createdAfter
		},
		write: func(o *org, w *jsonWriter, i int, _ *query) { o.writeCandidate(w, i) },
	},
	{
		name: "application.list", code: 2,
		scope: ScopeCandidatesRead, kind: kindApplication,
		params:  withPaging("createdAfter", "status", "jobId", "expand"),
		visible: func(o *org, i int, q *query) bool { return o.applicationVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, q *query) { o.writeApplication(w, i, q) },
	},
	{
		name: "offer.list", code: 5,
		scope: ScopeOffersRead, kind: kindOffer,
		params: withPaging("createdAfter", "applicationId", "offerStatus", "acceptanceStatus",
			"approvalStatus"),
		visible: func(o *org, i int, q *query) bool { return o.offerVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeOffer(w, i) },
	},
	{
		name: "interviewSchedule.list", code: 6,
		scope: ScopeInterviewsRead, kind: kindInterviewSchedule,
		params:  withPaging("createdAfter", "applicationId", "interviewStageId"),
		visible: func(o *org, i int, q *query) bool { return o.scheduleVisible(i, q) },
		write:   func(o *org, w *jsonWriter, i int, _ *query) { o.writeInterviewSchedule(w, i) },
	},
}

// apiKeyInfo is the endpoint name of the key preflight.
const apiKeyInfo = "apiKey.info"

// endpointOrder lists every endpoint but apiKey.info in the order a loader
// would extract them: catalogues, incremental roots, then per-parent
// children.
var endpointOrder = []string{
	"user.list", "department.list", "location.list", "brand.list", "hiringTeamRole.list",
	"applicationHiringTeamRole.list", "archiveReason.list", "closeReason.list", "source.list",
	"sourceTrackingLink.list", "candidateTag.list", "customField.list",
	"feedbackFormDefinition.list", "surveyFormDefinition.list", "interviewerPool.list",
	"interview.list", "interviewPlan.list", "interviewStageGroup.list",
	"communicationTemplate.list", "jobBoard.list", "jobPosting.list", "jobTemplate.list",
	"job.list", "opening.list", "candidate.list", "application.list", "offer.list",
	"interviewSchedule.list", "applicationFeedback.list", "approval.list", "project.list",
	"surveySubmission.list", "surveyRequest.list",
	"interviewStage.list", "application.listHistory", "candidate.listNotes",
	"candidate.listProjects", "candidate.listClientInfo", "offer.info", "jobInterviewPlan.info",
	"interviewerPool.info", "user.interviewerSettings", "user.listInterviewerPauses",
}

// endpoints holds every endpoint in endpointOrder.
var endpoints = func() []*endpoint {
	byName := map[string]*endpoint{}
	for _, list := range [][]*endpoint{coreEndpoints, catalogueEndpoints, rootEndpoints, childEndpoints} {
		for _, ep := range list {
			byName[ep.name] = ep
		}
	}
	out := make([]*endpoint, 0, len(endpointOrder))
	for _, name := range endpointOrder {
		ep := byName[name]
		if ep == nil {
			panic("ashbysim: endpointOrder names an undefined endpoint " + name)
		}
		out = append(out, ep)
	}
	if len(out) != len(byName) {
		panic("ashbysim: endpointOrder misses a defined endpoint")
	}
	return out
}()

func endpointByName(name string) *endpoint {
	for _, ep := range endpoints {
		if ep.name == name {
			return ep
		}
	}
	return nil
}

func endpointByCode(code byte) *endpoint {
	for _, ep := range endpoints {
		if ep.code == code {
			return ep
		}
	}
	return nil
}

// endpointOfKind returns the list endpoint that shows objects of kind k
// and supports incremental sync.
func endpointOfKind(k kind) string {
	for _, ep := range endpoints {
		if ep.kind == k && ep.shape == shapeSync && ep.parent == nil {
			return ep.name
		}
	}
	for _, ep := range endpoints {
		if ep.kind == k && ep.parent == nil {
			return ep.name
		}
	}
	return ""
}

func (o *org) jobVisible(j int, q *query) bool {
	status := o.jobStatus(j)
	if q.jobStatuses == nil && status == "Draft" || q.jobStatuses != nil && !q.jobStatuses[status] {
		return false
	}
	info := o.jobInfo(j)
	if q.hasCreatedAfter && info.createdAt <= q.createdAfter {
		return false
	}
	if status != "Draft" && (q.openedAfter != 0 && info.openedAt <= q.openedAfter ||
		q.openedBefore != 0 && info.openedAt >= q.openedBefore) {
		return false
	}
	if status == "Draft" && (q.openedAfter != 0 || q.openedBefore != 0) {
		return false
	}
	if q.closedAfter != 0 || q.closedBefore != 0 {
		closed := o.jobClosedAt(j, info)
		if closed == 0 || q.closedAfter != 0 && closed <= q.closedAfter ||
			q.closedBefore != 0 && closed >= q.closedBefore {
			return false
		}
	}
	return true
}

func (o *org) applicationVisible(a int, q *query) bool {
	if q.hasCreatedAfter && o.applicationCreatedAt(a) <= q.createdAfter {
		return false
	}
	if q.jobID.excludes(o.id(kindJob, o.applicationJob(a))) {
		return false
	}
	if q.appStatus != "" && o.applicationState(a).status != q.appStatus {
		return false
	}
	return true
}

func (o *org) offerVisible(f int, q *query) bool {
	if q.hasCreatedAfter && o.offerCreatedAt(f) <= q.createdAfter {
		return false
	}
	if q.applicationID.excludes(o.id(kindApplication, o.offerApplicationOf(f))) {
		return false
	}
	if q.offerStatuses != nil || q.acceptStatuses != nil || q.approvals != nil {
		r := o.rng(kindOffer, f, o.mut(kindOffer, f).versionOrZero())
		st := o.offerState(f, &r)
		if q.offerStatuses != nil && !q.offerStatuses[st.status] ||
			q.acceptStatuses != nil && !q.acceptStatuses[st.acceptance] ||
			q.approvals != nil && !q.approvals[st.approval] {
			return false
		}
	}
	return true
}

func (o *org) scheduleVisible(s int, q *query) bool {
	if q.hasCreatedAfter && o.scheduleCreatedAt(s) <= q.createdAfter {
		return false
	}
	if q.applicationID.excludes(o.id(kindApplication, o.scheduleApplicationOf(s))) {
		return false
	}
	if q.stageID.excludes(o.scheduleStage(s)) {
		return false
	}
	return true
}
