package ashbysim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/restload/restload/internal/ashbysim"
)

func Example() {
	srv := ashbysim.New(ashbysim.Config{Seed: 1, Candidates: 1000, APIKeys: map[string][]string{"demo-key": nil}})
	baseURL, err := srv.Start("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, baseURL+"/candidate.list", strings.NewReader(`{"limit": 25}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("demo-key", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var page struct {
		Results           []json.RawMessage `json:"results"`
		MoreDataAvailable bool              `json:"moreDataAvailable"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(page.Results), page.MoreDataAvailable)

	changed := srv.Apply(ashbysim.Changes{NewCandidates: 2, UpdatedCandidates: 3})
	fmt.Println(len(changed["candidate.list"]))
	// Output:
	// 25 true
	// 5
}
