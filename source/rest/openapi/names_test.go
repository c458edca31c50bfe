package openapi

import "testing"

func TestNames(t *testing.T) {
	tests := []struct{ in, snake, plural string }{
		{"hiringTeamRole", "hiring_team_role", "hiring_team_roles"},
		{"applicationFeedback", "application_feedback", "application_feedback"},
		{"HTTPStatus", "http_status", "http_statuses"},
		{"job-board", "job_board", "job_boards"},
		{"category", "category", "categories"},
		{"day", "day", "days"},
		{"box", "box", "boxes"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s := snake(tt.in)
			if s != tt.snake {
				t.Errorf("snake(%q) = %q, want %q", tt.in, s, tt.snake)
			}
			if p := plural(s); p != tt.plural {
				t.Errorf("plural(%q) = %q, want %q", s, p, tt.plural)
			}
		})
	}
}

func TestListVerb(t *testing.T) {
	tests := []struct {
		path, noun, rest string
		ok               bool
	}{
		{"/candidate.list", "candidate", "", true},
		{"/candidate.listNotes", "candidate", "Notes", true},
		{"/assessment.customField.list", "assessment.customField", "", true},
		{"/candidate.listing", "", "", false},
		{"/candidate.create", "", "", false},
		{"/jobs", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			noun, rest, ok := listVerb(tt.path)
			if noun != tt.noun || rest != tt.rest || ok != tt.ok {
				t.Errorf("listVerb(%q) = %q, %q, %v", tt.path, noun, rest, ok)
			}
		})
	}
}
