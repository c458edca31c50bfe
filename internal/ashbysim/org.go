package ashbysim

import (
	"sort"
)

// Fixed dates of the generated history. Generated objects are created
// between historyStart and historyEnd; changes made through Apply happen
// after historyEnd, one hour of emulated time per logical clock tick.
// Nothing reads the wall clock, so a seed always yields the same bytes.
const (
	historyStart int64 = 1672531200000 // 2023-01-01T00:00:00Z
	historyEnd   int64 = 1735689600000 // 2025-01-01T00:00:00Z
	historySpan        = historyEnd - historyStart
	hourMS       int64 = 3600 * 1000
	dayMS              = 24 * hourMS
)

// DefaultCandidates is the candidate count used when Config.Candidates is
// zero or negative.
const DefaultCandidates = 250

// sizes holds the generated count of each listed kind. Everything derives
// from the candidate count, so one number scales the whole organisation.
type sizes struct {
	candidates     int
	applications   int
	jobs           int
	offers         int
	schedules      int
	users          int
	departments    int
	topDepts       int
	regions        int
	locations      int // regions included
	tags           int
	plans          int
	sources        int
	archiveReasons int
	customFields   int

	brands          int
	jobBoards       int
	closeReasons    int
	trackingLinks   int
	feedbackForms   int
	surveyForms     int
	templates       int // communication templates
	jobTemplates    int
	interviews      int // shared interviews first, then job-specific ones
	openings        int
	feedback        int // application feedback submissions
	approvals       int
	projects        int
	surveys         int // survey submissions
	surveyRequests  int
	sharedInterview int // interviews listed without includeNonSharedInterviews
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func newSizes(candidates, applications int) sizes {
	var n sizes
	n.candidates = candidates
	n.applications = applications
	n.jobs = max(5, candidates/50)
	if applications > 0 {
		n.offers = max(1, applications/10)
		n.schedules = max(1, applications/2)
	}
	n.users = clamp(6+candidates/400, 8, 400)
	n.departments = clamp(6+n.jobs/8, 8, 120)
	n.topDepts = clamp(n.departments/3, 4, len(topDepartments))
	n.regions = len(regionNames)
	n.locations = n.regions + clamp(4+n.jobs/40, 6, 40)
	n.tags = clamp(12+candidates/5000, 12, 60)
	n.plans = clamp(n.jobs/8, 2, 40)
	n.sources = len(sourceSpecs)
	n.archiveReasons = len(archiveReasonSpecs)
	n.customFields = len(customFieldSpecs)

	n.brands = len(brandNames)
	n.jobBoards = len(jobBoardSpecs)
	n.closeReasons = len(closeReasonSpecs)
	n.trackingLinks = len(trackingLinkSources)
	n.feedbackForms = len(feedbackFormTitles)
	n.surveyForms = len(surveyFormSpecs)
	n.templates = len(templateSpecs)
	n.jobTemplates = clamp(n.jobs/10, 3, 30)
	n.sharedInterview = len(interviewTitles)
	n.interviews = n.sharedInterview + clamp(n.jobs/4, 2, 40)
	n.openings = n.jobs
	n.feedback = applications / 2
	n.approvals = n.offers + n.jobs/3
	n.projects = clamp(candidates/100, 3, 200)
	n.surveys = applications / 4
	n.surveyRequests = applications / 3
	return n
}

// Candidates come in blocks of ten that hold thirteen applications between
// them, about 1.3 per candidate. Each block uses one of these patterns, so
// the mapping between candidates and applications is closed-form in both
// directions and needs no table.
var applicationPatterns = [4][10]int{
	{1, 2, 1, 1, 0, 2, 1, 3, 1, 1},
	{2, 1, 1, 0, 1, 1, 3, 1, 2, 1},
	{1, 1, 2, 1, 1, 0, 1, 2, 1, 3},
	{1, 3, 0, 1, 1, 2, 1, 1, 1, 2},
}

const (
	blockCandidates   = 10
	blockApplications = 13
)

// applicationPrefix[p][r] is the number of applications held by the first r
// candidates of a block that uses pattern p.
var applicationPrefix = func() (prefix [4][11]int) {
	for p, pattern := range applicationPatterns {
		for r, count := range pattern {
			prefix[p][r+1] = prefix[p][r] + count
		}
	}
	return prefix
}()

// mutation records how a change moved an object away from its generated
// state. Only changed objects have one, which keeps memory proportional to
// the changes, not to the organisation.
type mutation struct {
	version   int   // content variant; 0 is the generated object
	created   int64 // logical clock of creation; 0 for generated objects
	updated   int64 // logical clock of the latest change
	createdAt int64 // epoch ms; set for objects added by changes
	updatedAt int64 // epoch ms of the latest change
	archived  bool  // archived or deactivated by a change
	// archivedAt is the epoch ms of the archiving change.
	archivedAt int64
	parent     int   // added applications: candidate; added offers and schedules: application
	job        int   // added applications: job
	extraApps  []int // candidates: applications added by changes or moved by merges
	// deleted objects vanish from every listing; merged candidates are
	// deleted too.
	deleted bool
	// moved marks a generated application that a merge moved to the
	// candidate in parent; movedClock is the clock of that merge.
	moved      bool
	movedClock int64
	// stamps records the changes that add a child item: a note for a
	// candidate, a history entry for an application, a version for an
	// offer.
	stamps []stamp
}

// stamp is one change that added a child item.
type stamp struct {
	clock   int64 // logical clock of the change
	at      int64 // epoch ms of the change
	version int   // object version after the change; -1 for an archive
}

func (m *mutation) isDeleted() bool { return m != nil && m.deleted }

func (m *mutation) stampList() []stamp {
	if m == nil {
		return nil
	}
	return m.stamps
}

func (m *mutation) versionOrZero() int {
	if m == nil {
		return 0
	}
	return m.version
}

// store tracks one kind: how many objects were generated, how many changes
// added, and the mutations.
type store struct {
	base  int
	added int
	muts  map[int]*mutation
}

func (s *store) total() int { return s.base + s.added }

// ensure returns the mutation of object i, creating an empty one.
func (s *store) ensure(i int) *mutation {
	m := s.muts[i]
	if m == nil {
		m = &mutation{}
		s.muts[i] = m
	}
	return m
}

// changedSince returns the indexes of objects changed after clock, sorted.
func (s *store) changedSince(clock int64) []int {
	var out []int
	for i, m := range s.muts {
		if m.updated > clock {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

// org is the generated organisation plus the changes applied to it.
// Server guards it with a read-write lock: reads may run concurrently, and
// apply needs the write lock.
type org struct {
	seed   uint64
	n      sizes
	stores map[kind]*store
	clock  int64

	// Small catalogues are generated once, because every candidate and
	// application refers to them.
	users        []userInfo
	depts        []deptInfo
	locations    []locationInfo
	tagInfos     []tagInfo
	nonDraftJobs []int // generated jobs that are not drafts
	liveDepts    []int // generated departments that are not archived
	liveOffice   []int // generated office locations that are not archived
	liveUsers    []int // generated users that are enabled
	// firstLocal and lastLocal are firstNames and lastNames folded to the
	// ASCII used in e-mail addresses.
	firstLocal []string
	lastLocal  []string

	changedCache changedCache
}

func newOrg(seed int64, candidates int) *org {
	o := &org{seed: uint64(seed)}
	o.n = newSizes(candidates, o.applicationsOfFirstCandidates(candidates))
	o.stores = map[kind]*store{}
	for k, base := range map[kind]int{
		kindCandidate:             o.n.candidates,
		kindApplication:           o.n.applications,
		kindJob:                   o.n.jobs,
		kindOffer:                 o.n.offers,
		kindInterviewSchedule:     o.n.schedules,
		kindUser:                  o.n.users,
		kindDepartment:            o.n.departments,
		kindLocation:              o.n.locations,
		kindSource:                o.n.sources,
		kindArchiveReason:         o.n.archiveReasons,
		kindCandidateTag:          o.n.tags,
		kindCustomField:           o.n.customFields,
		kindBrand:                 o.n.brands,
		kindJobBoard:              o.n.jobBoards,
		kindJobPosting:            o.n.jobs,
		kindHiringTeamRole:        len(hiringTeamRoles),
		kindApplicationRole:       len(applicationRoleTitles),
		kindCloseReason:           o.n.closeReasons,
		kindTrackingLink:          o.n.trackingLinks,
		kindFeedbackForm:          o.n.feedbackForms,
		kindSurveyForm:            o.n.surveyForms,
		kindInterviewerPool:       len(poolTitles),
		kindInterview:             o.n.interviews,
		kindInterviewPlan:         o.n.plans + 1,
		kindInterviewStage:        (o.n.plans + 1) * len(planStages),
		kindStageGroup:            len(stageGroupTypes),
		kindCommunicationTemplate: o.n.templates,
		kindJobTemplate:           o.n.jobTemplates,
		kindOpening:               o.n.openings,
		kindFeedback:              o.n.feedback,
		kindApproval:              o.n.approvals,
		kindProject:               o.n.projects,
		kindSurveySubmission:      o.n.surveys,
		kindSurveyRequest:         o.n.surveyRequests,
	} {
		o.stores[k] = &store{base: base, muts: map[int]*mutation{}}
	}
	o.initCatalogues()
	return o
}

func (o *org) store(k kind) *store { return o.stores[k] }

func (o *org) mut(k kind, i int) *mutation { return o.stores[k].muts[i] }

func (o *org) id(k kind, i int) uuid { return newID(o.seed, k, i) }

func (o *org) rng(k kind, i, version int) rng {
	return rng{s: hash(o.seed, uint64(k), uint64(i), uint64(version))}
}

// h returns a hash of (kind, index, salt) for one-off choices that must not
// depend on the order of rng draws.
func (o *org) h(k kind, i int, salt uint64) uint64 {
	return hash(o.seed, uint64(k)|1<<8, uint64(i), salt)
}

// blockPattern returns the application pattern of candidate block b.
func (o *org) blockPattern(b int) int { return int(o.h(kindCandidate, b, 0xb10c) % 4) }

func (o *org) applicationsOfFirstCandidates(c int) int {
	full, rest := c/blockCandidates, c%blockCandidates
	return full*blockApplications + applicationPrefix[o.blockPattern(full)][rest]
}

// baseApplications returns the first index and the count of the generated
// applications of generated candidate c.
func (o *org) baseApplications(c int) (first, count int) {
	b, r := c/blockCandidates, c%blockCandidates
	p := o.blockPattern(b)
	return b*blockApplications + applicationPrefix[p][r], applicationPatterns[p][r]
}

// applicationOwner returns the generated candidate of generated application
// a and the position of a among that candidate's applications.
func (o *org) applicationOwner(a int) (candidate, position int) {
	b, off := a/blockApplications, a%blockApplications
	p := o.blockPattern(b)
	r := 0
	for applicationPrefix[p][r+1] <= off {
		r++
	}
	return b*blockCandidates + r, off - applicationPrefix[p][r]
}

// candidateOf returns the candidate of any application.
func (o *org) candidateOf(a int) int {
	if m := o.mut(kindApplication, a); a >= o.n.applications || m != nil && m.moved {
		return m.parent
	}
	c, _ := o.applicationOwner(a)
	return c
}

// offerApplication returns the application of generated offer f: one of the
// ten applications of its block, so an application can find its offer too.
func (o *org) offerApplication(f int) int {
	return o.spreadParent(f, 10, 0x0ffe)
}

// scheduleApplication returns the application of generated interview
// schedule s, one of the two applications of its pair.
func (o *org) scheduleApplication(s int) int {
	return o.spreadParent(s, 2, 0x5c4e)
}

func (o *org) spreadParent(i, width int, salt uint64) int {
	first := i * width
	span := min(width, o.n.applications-first)
	if span <= 0 {
		return o.n.applications - 1
	}
	return first + int(o.h(kindApplication, i, salt)%uint64(span))
}

// generatedOffer returns the generated offer of application a, if any.
func (o *org) generatedOffer(a int) (int, bool) {
	if a >= o.n.applications || o.n.offers == 0 {
		return 0, false
	}
	f := a / 10
	if f >= o.n.offers {
		return 0, false
	}
	return f, o.offerApplication(f) == a
}

// spreadTime places generated object i of n evenly in [from, from+span)
// with a jitter of up to half a slot, so creation times grow with the index.
func (o *org) spreadTime(k kind, i, n int, from, span int64) int64 {
	slot := span / int64(max(n, 1))
	jitter := int64(0)
	if slot > 1 {
		jitter = int64(o.h(k, i, 0x71ae) % uint64(slot/2))
	}
	return from + int64(i)*slot + jitter
}

// clockTime returns the emulated epoch ms of logical clock tick c.
func clockTime(c int64) int64 { return historyEnd + c*hourMS }

// laterOf returns t plus an offset in [minMS, maxMS], but never later than
// limit.
func laterOf(r *rng, t, minMS, maxMS, limit int64) int64 {
	v := t + minMS + int64(r.next()%uint64(maxMS-minMS+1))
	return min(v, limit)
}
