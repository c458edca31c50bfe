package pipeline

import (
	"encoding/json"
	"fmt"
)

// State is the pipeline state: what each resource needs to continue where
// the last committed load ended, such as Ashby's sync tokens. It is stored
// in the destination with the rows it covers.
type State struct {
	PipelineName string                  `json:"pipeline_name"`
	DatasetName  string                  `json:"dataset_name"`
	Sources      map[string]*SourceState `json:"sources"`
}

// SourceState holds the state of one source's resources, keyed by
// resource name.
type SourceState struct {
	Resources map[string]json.RawMessage `json:"resources"`
}

// Resource returns the stored state of one resource, or nil.
func (s *State) Resource(src, name string) json.RawMessage {
	if s == nil || s.Sources[src] == nil {
		return nil
	}
	return s.Sources[src].Resources[name]
}

// setResource stores the state of one resource; nil removes it.
func (s *State) setResource(src, name string, v json.RawMessage) {
	if s.Sources == nil {
		s.Sources = map[string]*SourceState{}
	}
	ss := s.Sources[src]
	if ss == nil {
		ss = &SourceState{Resources: map[string]json.RawMessage{}}
		s.Sources[src] = ss
	}
	if len(v) == 0 || string(v) == "null" {
		delete(ss.Resources, name)
		return
	}
	ss.Resources[name] = v
}

// clone returns a deep copy, so that a run can build the next state while
// the committed one stays as it was.
func (s *State) clone() *State {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("pipeline: marshal state: %v", err)) // maps of raw JSON always marshal
	}
	var c State
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("pipeline: unmarshal state: %v", err))
	}
	return &c
}

func decodeState(b []byte) (*State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode pipeline state: %w", err)
	}
	return &s, nil
}
