package ashbysim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

// pagesOf returns the raw pages of a full listing with every row shown.
func pagesOf(t *testing.T, s *ashbysim.Server, url, endpoint string) [][]byte {
	t.Helper()
	params := s.ParamsForAll(endpoint)
	params["limit"] = 30
	var out [][]byte
	for _, p := range listAll(t, url, endpoint, params).Pages {
		out = append(out, p.Raw)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	cfg := ashbysim.Config{Seed: 51, Candidates: 120}
	a, urlA := startServer(t, cfg)
	b, urlB := startServer(t, cfg)
	changes := ashbysim.Changes{NewCandidates: 2, UpdatedCandidates: 3, ArchivedApplications: 2, UpdatedJobs: 1, NewOffers: 1}
	for round := range 2 {
		for _, endpoint := range a.Endpoints() {
			pa, pb := pagesOf(t, a, urlA, endpoint), pagesOf(t, b, urlB, endpoint)
			if len(pa) != len(pb) {
				t.Fatalf("round %d, %s: %d pages against %d", round, endpoint, len(pa), len(pb))
			}
			for i := range pa {
				if !bytes.Equal(pa[i], pb[i]) {
					t.Fatalf("round %d, %s page %d differs between two servers with the same seed", round, endpoint, i)
				}
			}
		}
		ca, cb := a.Apply(changes), b.Apply(changes)
		if fmt.Sprint(ca) != fmt.Sprint(cb) {
			t.Fatalf("the same changes picked different objects:\n%v\n%v", ca, cb)
		}
	}

	other, urlOther := startServer(t, ashbysim.Config{Seed: 52, Candidates: 120})
	if bytes.Equal(pagesOf(t, a, urlA, "candidate.list")[0], pagesOf(t, other, urlOther, "candidate.list")[0]) {
		t.Error("seeds 51 and 52 generated the same candidates")
	}
}

// catalogue holds every object of every endpoint by id.
type catalogue map[string]map[string]map[string]any

func loadCatalogue(t *testing.T, s *ashbysim.Server) catalogue {
	t.Helper()
	c := catalogue{}
	for _, endpoint := range s.Endpoints() {
		sets, err := s.ParamSets(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		c[endpoint] = map[string]map[string]any{}
		for _, params := range sets {
			objs, err := s.Objects(endpoint, params)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				m := decodeMap(t, o)
				c[endpoint][m["id"].(string)] = m
			}
		}
	}
	return c
}

func (c catalogue) mustHave(t *testing.T, endpoint string, id any, context string) {
	t.Helper()
	s, ok := id.(string)
	if !ok || c[endpoint][s] == nil {
		t.Errorf("%s refers to %v, which %s does not list", context, id, endpoint)
	}
}

func TestRelations(t *testing.T) {
	for _, candidates := range []int{1, 7, 60, 400} {
		t.Run(fmt.Sprint(candidates), func(t *testing.T) {
			s := ashbysim.New(ashbysim.Config{Seed: 53, Candidates: candidates})
			s.Apply(allChanges)
			checkRelations(t, loadCatalogue(t, s))
		})
	}
}

func checkRelations(t *testing.T, c catalogue) {
	t.Helper()
	appsOf := map[string][]string{}
	for id, app := range c["application.list"] {
		cand := app["candidate"].(map[string]any)["id"]
		c.mustHave(t, "candidate.list", cand, "application "+id)
		appsOf[cand.(string)] = append(appsOf[cand.(string)], id)
		job := app["job"].(map[string]any)
		c.mustHave(t, "job.list", job["id"], "application "+id)
		c.mustHave(t, "location.list", job["locationId"], "application job "+id)
		c.mustHave(t, "department.list", job["departmentId"], "application job "+id)
		for _, member := range app["hiringTeam"].([]any) {
			c.mustHave(t, "user.list", member.(map[string]any)["userId"], "application hiring team "+id)
		}
		if reason, ok := app["archiveReason"].(map[string]any); ok {
			c.mustHave(t, "archiveReason.list", reason["id"], "application "+id)
		}
		checkCustomFields(t, c, app, "Application")
	}
	for id, cand := range c["candidate.list"] {
		var listed []string
		for _, a := range cand["applicationIds"].([]any) {
			listed = append(listed, a.(string))
		}
		if !slices.Equal(sorted(listed), sorted(appsOf[id])) {
			t.Errorf("candidate %s lists applications %v, applications name it in %v", id, listed, appsOf[id])
		}
		for _, tag := range cand["tags"].([]any) {
			c.mustHave(t, "candidateTag.list", tag.(map[string]any)["id"], "candidate "+id)
		}
		if src, ok := cand["source"].(map[string]any); ok {
			c.mustHave(t, "source.list", src["id"], "candidate "+id)
		}
		if u, ok := cand["creditedToUser"].(map[string]any); ok {
			c.mustHave(t, "user.list", u["id"], "candidate "+id)
		}
		emails := cand["emailAddresses"].([]any)
		if primary, ok := cand["primaryEmailAddress"]; ok != (len(emails) > 0) || ok && fmt.Sprint(primary) != fmt.Sprint(emails[0]) {
			t.Errorf("candidate %s: primaryEmailAddress %v does not match emailAddresses %v", id, primary, emails)
		}
		checkCustomFields(t, c, cand, "Candidate")
	}
	for id, job := range c["job.list"] {
		c.mustHave(t, "location.list", job["locationId"], "job "+id)
		c.mustHave(t, "department.list", job["departmentId"], "job "+id)
		c.mustHave(t, "user.list", job["author"].(map[string]any)["id"], "job "+id)
		for _, member := range job["hiringTeam"].([]any) {
			c.mustHave(t, "user.list", member.(map[string]any)["userId"], "job hiring team "+id)
		}
		for _, posting := range job["jobPostingIds"].([]any) {
			if job["status"] == "Open" {
				c.mustHave(t, "jobPosting.list", posting, "open job "+id)
			}
		}
		checkCustomFields(t, c, job, "Job")
	}
	for id, posting := range c["jobPosting.list"] {
		c.mustHave(t, "job.list", posting["jobId"], "posting "+id)
		c.mustHave(t, "location.list", posting["locationIds"].(map[string]any)["primaryLocationId"], "posting "+id)
	}
	for id, offer := range c["offer.list"] {
		c.mustHave(t, "application.list", offer["applicationId"], "offer "+id)
		version := offer["latestVersion"].(map[string]any)
		c.mustHave(t, "user.list", version["author"].(map[string]any)["id"], "offer "+id)
		checkCustomFields(t, c, version, "Offer")
	}
	for id, schedule := range c["interviewSchedule.list"] {
		c.mustHave(t, "application.list", schedule["applicationId"], "schedule "+id)
		for _, e := range schedule["interviewEvents"].([]any) {
			event := e.(map[string]any)
			if event["interviewScheduleId"] != id {
				t.Errorf("event %v of schedule %s names schedule %v", event["id"], id, event["interviewScheduleId"])
			}
			for _, u := range event["interviewers"].([]any) {
				c.mustHave(t, "user.list", u.(map[string]any)["id"], "interview event of "+id)
			}
		}
	}
	for id, dept := range c["department.list"] {
		if parent, ok := dept["parentId"]; ok {
			c.mustHave(t, "department.list", parent, "department "+id)
		}
	}
	for id, loc := range c["location.list"] {
		if parent, ok := loc["parentLocationId"]; ok {
			c.mustHave(t, "location.list", parent, "location "+id)
		}
	}
	for id, user := range c["user.list"] {
		if manager, ok := user["managerId"]; ok {
			c.mustHave(t, "user.list", manager, "user "+id)
		}
	}
}

// checkCustomFields checks that each value refers to a definition of the
// object type and has the shape of its fieldType.
func checkCustomFields(t *testing.T, c catalogue, object map[string]any, objectType string) {
	t.Helper()
	for _, v := range object["customFields"].([]any) {
		value := v.(map[string]any)
		def := c["customField.list"][value["id"].(string)]
		if def == nil {
			t.Errorf("custom field value %v has no definition", value["id"])
			continue
		}
		if def["objectType"] != objectType || def["title"] != value["title"] {
			t.Errorf("custom field %v: definition is %v %q, value on %s is titled %q",
				value["id"], def["objectType"], def["title"], objectType, value["title"])
		}
		if err := checkValueShape(def["fieldType"].(string), value); err != nil {
			t.Errorf("custom field %q: %v", def["title"], err)
		}
	}
}

func checkValueShape(fieldType string, value map[string]any) error {
	v := value["value"]
	_, hasLabel := value["valueLabel"]
	ok := false
	switch fieldType {
	case "Boolean":
		_, ok = v.(bool)
	case "String", "LongText", "ValueSelect":
		_, ok = v.(string)
	case "Date":
		s, isString := v.(string)
		ok = isString && timestampPattern.MatchString(s)
	case "Number":
		_, ok = v.(float64)
	case "MultiValueSelect":
		list, isList := v.([]any)
		labels, _ := value["valueLabel"].([]any)
		ok = isList && len(list) > 0 && len(labels) == len(list)
	case "Currency":
		m, isMap := v.(map[string]any)
		ok = isMap && m["currencyCode"] != nil && m["value"] != nil
	case "NumberRange", "CompensationRange":
		m, isMap := v.(map[string]any)
		want := map[string]string{"NumberRange": "number-range", "CompensationRange": "compensation-range"}[fieldType]
		ok = isMap && m["type"] == want && m["minValue"].(float64) <= m["maxValue"].(float64)
	}
	if !ok {
		return fmt.Errorf("value %v does not fit type %s", v, fieldType)
	}
	if hasLabel != (fieldType == "ValueSelect" || fieldType == "MultiValueSelect") {
		return fmt.Errorf("valueLabel present: %v for type %s", hasLabel, fieldType)
	}
	return nil
}

var timestampPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

func TestCustomFieldCoverage(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 54, Candidates: 3})
	c := loadCatalogue(t, s)
	want := []string{"Boolean", "String", "LongText", "Number", "Date", "ValueSelect", "MultiValueSelect", "Currency", "NumberRange", "CompensationRange"}
	seen := map[string]map[string]bool{}
	fraction := false
	note := func(objectType string, fields []any) {
		for _, v := range fields {
			value := v.(map[string]any)
			def := c["customField.list"][value["id"].(string)]
			if seen[objectType] == nil {
				seen[objectType] = map[string]bool{}
			}
			seen[objectType][def["fieldType"].(string)] = true
			if n, ok := value["value"].(float64); ok && n != float64(int64(n)) {
				fraction = true
			}
		}
	}

	for _, cand := range c["candidate.list"] {
		note("Candidate", cand["customFields"].([]any))
	}
	for _, app := range c["application.list"] {
		note("Application", app["customFields"].([]any))
	}
	for _, job := range c["job.list"] {
		note("Job", job["customFields"].([]any))
	}
	for _, offer := range c["offer.list"] {
		note("Offer", offer["latestVersion"].(map[string]any)["customFields"].([]any))
	}
	for _, objectType := range []string{"Candidate", "Application", "Job", "Offer"} {
		for _, fieldType := range want {
			if !seen[objectType][fieldType] {
				t.Errorf("no %s carries a %s custom field", objectType, fieldType)
			}
		}
	}
	if !fraction {
		t.Error("no Number custom field value has a fraction")
	}
}

func TestHiddenRows(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 55, Candidates: 500})
	s.Apply(ashbysim.Changes{DeactivatedUsers: 1, ArchivedDepartments: 1, ArchivedLocations: 1, ArchivedCandidateTags: 1, ArchivedCustomFields: 1})
	tests := []struct {
		endpoint, field string
		hidden          any
		param           string
	}{
		{"user.list", "isEnabled", false, "includeDeactivated"},
		{"department.list", "isArchived", true, "includeArchived"},
		{"location.list", "isArchived", true, "includeArchived"},
		{"source.list", "isArchived", true, "includeArchived"},
		{"archiveReason.list", "isArchived", true, "includeArchived"},
		{"candidateTag.list", "isArchived", true, "includeArchived"},
		{"customField.list", "isArchived", true, "includeArchived"},
		{"location.list", "type", "LocationHierarchy", "includeLocationHierarchy"},
		{"job.list", "status", "Draft", "status"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+"/"+tt.param, func(t *testing.T) {
			count := func(params map[string]any) (hidden, total int) {
				objs, err := s.Objects(tt.endpoint, params)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range objs {
					if decodeMap(t, o)[tt.field] == tt.hidden {
						hidden++
					}
				}
				return hidden, len(objs)
			}
			if hidden, _ := count(nil); hidden != 0 {
				t.Errorf("default listing shows %d rows with %s=%v", hidden, tt.field, tt.hidden)
			}
			hidden, total := count(s.ParamsForAll(tt.endpoint))
			if hidden < 1 || hidden == total {
				t.Errorf("full listing shows %d of %d rows with %s=%v; want some, not all", hidden, total, tt.field, tt.hidden)
			}
		})
	}
	t.Run("job.list/onlyDrafts", func(t *testing.T) {
		objs, err := s.Objects("job.list", map[string]any{"status": []string{"Draft"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if status := decodeMap(t, o)["status"]; status != "Draft" {
				t.Fatalf("status filter Draft returned a job with status %v", status)
			}
		}
		if len(objs) == 0 {
			t.Error("no draft jobs")
		}
	})
}

func TestSizes(t *testing.T) {
	tests := []struct {
		candidates int
		jobs       int
	}{
		{1, 5},
		{10, 5},
		{1000, 20},
		{1_000_000, 20_000},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.candidates), func(t *testing.T) {
			s := ashbysim.New(ashbysim.Config{Seed: 56, Candidates: tt.candidates})
			count := func(endpoint string) int {
				n, err := s.Count(endpoint, s.ParamsForAll(endpoint))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if got := count("candidate.list"); got != tt.candidates {
				t.Errorf("%d candidates, want %d", got, tt.candidates)
			}
			if got := count("job.list"); got != tt.jobs {
				t.Errorf("%d jobs, want %d", got, tt.jobs)
			}
			if tt.candidates >= 1000 {
				apps := count("application.list")
				if ratio := float64(apps) / float64(tt.candidates); ratio < 1.25 || ratio > 1.35 {
					t.Errorf("%.2f applications per candidate", ratio)
				}
			}
			for _, endpoint := range []string{"user.list", "department.list", "location.list", "candidateTag.list", "customField.list"} {
				if n := count(endpoint); n < 1 || n > 500 {
					t.Errorf("%s has %d objects", endpoint, n)
				}
			}
		})
	}
}

func TestObjectsErrors(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 57, Candidates: 5})
	if _, err := s.Objects("candidate.delete", nil); err == nil {
		t.Error("Objects accepted an unknown endpoint")
	}
	if _, err := s.Objects("job.list", map[string]any{"status": "Open"}); err == nil {
		t.Error("Objects accepted a status string for job.list")
	}
	if _, err := s.Objects("candidate.list", map[string]any{"syncToken": "nope"}); err == nil {
		t.Error("Objects accepted an undecodable sync token")
	}
	objs, err := s.Objects("candidate.list", map[string]any{"limit": 1})
	if err != nil || len(objs) != 5 {
		t.Errorf("Objects with a limit returned %d objects, %v; want all 5", len(objs), err)
	}
	var v any
	if err := json.Unmarshal(objs[0], &v); err != nil {
		t.Errorf("object is not JSON: %v", err)
	}
}
