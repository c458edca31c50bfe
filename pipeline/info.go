package pipeline

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// String formats the load summary in the shape dlt users know: the load
// step's duration, where the packages went, each package with its state,
// then the rows loaded per table.
func (li *LoadInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Pipeline %s load step completed in %s\n", li.Pipeline, humanDuration(li.LoadDuration))
	fmt.Fprintf(&b, "%d load package(s) were loaded to destination %s and into dataset %s\n",
		len(li.Packages), li.DestinationName, li.Dataset)
	fmt.Fprintf(&b, "The %s destination used %s location to store data\n", li.DestinationName, li.Location)
	for _, p := range li.Packages {
		if p.FailedJobs == 0 {
			fmt.Fprintf(&b, "Load package %s is %s and contains no failed jobs\n", p.LoadID, strings.ToUpper(p.Status))
		} else {
			fmt.Fprintf(&b, "Load package %s is %s and contains %d FAILED job(s)!\n", p.LoadID, strings.ToUpper(p.Status), p.FailedJobs)
		}
	}
	rows := li.Rows()
	if len(rows) == 0 {
		b.WriteString("No data found to load\n")
	} else {
		b.WriteString("Loaded data for the following tables:\n")
		names := make([]string, 0, len(rows))
		for name := range rows {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(&b, "- %s: %d row(s)\n", name, rows[name])
		}
	}
	for _, f := range li.Failed {
		fmt.Fprintf(&b, "Resource %s FAILED and was not loaded: %s\n", f.Name, f.Error)
	}
	return b.String()
}

// Rows adds up the rows per table over all packages of the run.
func (li *LoadInfo) Rows() map[string]int64 {
	rows := map[string]int64{}
	for _, p := range li.Packages {
		for t, n := range p.Rows {
			rows[t] += n
		}
	}
	return rows
}

// humanDuration formats d as dlt does: "0.26 seconds", "1 minute and 2.5
// seconds".
func humanDuration(d time.Duration) string {
	secs := d.Seconds()
	if secs < 60 {
		return fmt.Sprintf("%.2f seconds", secs)
	}
	mins := int(secs / 60)
	rest := secs - float64(mins*60)
	unit := "minutes"
	if mins == 1 {
		unit = "minute"
	}
	return fmt.Sprintf("%d %s and %.2f seconds", mins, unit, rest)
}
