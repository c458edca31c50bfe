package iceberg

import (
	"fmt"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// readDeletes parses the key files of p.Deletes into key sets by root
// table name, so that a bad key file fails the load before any commit.
func (l *loader) readDeletes() error {
	for _, job := range l.p.Deletes {
		root, err := destination.DeleteTarget(l.p.Schema, job)
		if err != nil {
			return err
		}
		rows, err := readJob(destination.KeyTable(root), job.Path)
		if err != nil {
			return fmt.Errorf("read deleted keys of table %s: %w", root.Name, err)
		}
		pk := root.PrimaryKey()
		keys := l.deleted[root.Name]
		if keys == nil {
			keys = map[string]bool{}
			l.deleted[root.Name] = keys
		}
		for i, r := range rows {
			for _, c := range pk {
				if r[c] == nil {
					return fmt.Errorf("deleted key %d in %s has no value in primary key column %s of table %s",
						i+1, job.Path, c, root.Name)
				}
			}
			keys[keyOf(r, pk)] = true
		}
	}
	return nil
}

// markKeys sets _rl_deleted_at to at on the rows whose primary key is in
// keys and whose mark is not set yet. It replaces those rows with
// copies, since the rows may be shared with other plans.
func markKeys(rows []row, keys map[string]bool, pk []string, at any) {
	if len(keys) == 0 {
		return
	}
	for i, r := range rows {
		if r[schema.ColumnDeletedAt] == nil && keys[keyOf(r, pk)] {
			r = cloneRow(r)
			r[schema.ColumnDeletedAt] = at
			rows[i] = r
		}
	}
}
