package show

import (
	"context"
	"fmt"
	"net/http"

	"github.com/restload/restload/schema"
)

// The Ashby table and columns that the hiring funnel reads. Nested
// objects are flattened with "__", so these are the job and the current
// interview stage of each application.
const (
	funnelTable      = "applications"
	funnelJob        = "job__title"
	funnelStage      = "current_interview_stage__title"
	funnelStageOrder = "current_interview_stage__order_in_interview_plan"
)

// funnelJobChart is the funnel of one job: applications per current
// interview stage, in interview plan order.
type funnelJobChart struct {
	Job   string
	Total int64
	Chart *barChart
}

type funnelData struct {
	Jobs  []funnelJobChart
	Empty string
}

func (s *Server) funnel(w http.ResponseWriter, r *http.Request, src *Source) error {
	if src.Record.Source != "ashby" {
		return &pageError{http.StatusNotFound, fmt.Sprintf("the hiring funnel needs an Ashby dataset, and pipeline %s loads source %q",
			src.Record.Pipeline, src.Record.Source)}
	}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	cols, err := columns(ctx, src, funnelTable, nil)
	if err != nil {
		return err
	}
	d := &funnelData{}
	have := map[string]bool{}
	for _, c := range cols {
		have[c.Name] = true
	}
	if !have[funnelJob] || !have[funnelStage] {
		d.Empty = fmt.Sprintf("dataset %s has no table %s with columns %s and %s yet: load the applications resource and reload this page",
			src.Record.Dataset, funnelTable, funnelJob, funnelStage)
		s.render(w, r, "funnel", &view{Title: "Hiring funnel", Source: src, Data: d})
		return nil
	}
	if d.Jobs, err = funnelCounts(ctx, src, have[funnelStageOrder], have[schema.ColumnDeletedAt]); err != nil {
		return err
	}
	if len(d.Jobs) == 0 {
		d.Empty = fmt.Sprintf("table %s.%s holds no applications", src.Record.Dataset, funnelTable)
	}
	s.render(w, r, "funnel", &view{Title: "Hiring funnel", Source: src, Data: d})
	return nil
}

// funnelCounts counts the applications per job and current stage.
// Applications that a full sync found deleted are left out.
func funnelCounts(ctx context.Context, src *Source, hasOrder, hasDeleted bool) ([]funnelJobChart, error) {
	order := "NULL"
	if hasOrder {
		order = "min(" + ident(funnelStageOrder) + ")"
	}
	where := ""
	if hasDeleted {
		where = " WHERE " + ident(schema.ColumnDeletedAt) + " IS NULL"
	}
	q := fmt.Sprintf(`SELECT coalesce(%[1]s, '(no job)') AS job, coalesce(%[2]s, '(no stage)') AS stage,
		%[3]s AS stage_order, count(*) AS n FROM %[4]s%[5]s
		GROUP BY 1, 2 ORDER BY 1, 3 NULLS LAST, 2`,
		ident(funnelJob), ident(funnelStage), order, qualified(src.Record.Dataset, funnelTable), where)
	rows, err := src.DB.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count applications per stage in %s.%s: %w", src.Record.Dataset, funnelTable, err)
	}
	defer rows.Close()

	type count struct {
		stage string
		n     int64
	}
	var jobs []string
	perJob := map[string][]count{}
	for rows.Next() {
		var job, stage string
		var order any
		var n int64
		if err := rows.Scan(&job, &stage, &order, &n); err != nil {
			return nil, fmt.Errorf("count applications per stage: %w", err)
		}
		if _, ok := perJob[job]; !ok {
			jobs = append(jobs, job)
		}
		perJob[job] = append(perJob[job], count{stage, n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count applications per stage: %w", err)
	}

	out := make([]funnelJobChart, 0, len(jobs))
	for _, job := range jobs {
		var labels []string
		var values []int64
		var total int64
		for _, c := range perJob[job] {
			labels = append(labels, c.stage)
			values = append(values, c.n)
			total += c.n
		}
		out = append(out, funnelJobChart{Job: job, Total: total, Chart: newBarChart(job, labels, values)})
	}
	return out, nil
}
