package destination

import (
	"errors"
	"fmt"

	"github.com/restload/restload/schema"
)

// DeleteTarget returns the root table of s that a job of Package.Deletes
// names, by table name or by the resource of a root table whose name was
// shortened. It fails when the table is missing or is no root table, and
// when it does not track deletes: no SoftDelete, no _rl_deleted_at
// column, another write disposition than merge or no primary key.
func DeleteTarget(s *schema.Schema, job Job) (*schema.Table, error) {
	if s == nil {
		return nil, errors.New("the package has no schema")
	}
	t := s.Table(job.Table)
	if t == nil {
		for _, r := range s.Tables {
			if r.IsRoot() && r.Resource == job.Table {
				t = r
				break
			}
		}
	}
	switch {
	case t == nil:
		return nil, fmt.Errorf("deleted keys in %s: table %s is not in the package schema", job.Path, job.Table)
	case !t.IsRoot():
		return nil, fmt.Errorf("deleted keys in %s: table %s is a child table, so name its root table instead", job.Path, t.Name)
	case !t.SoftDelete || t.Column(schema.ColumnDeletedAt) == nil:
		return nil, fmt.Errorf("table %s does not track deletes, so the keys in %s cannot be marked deleted: "+
			"set soft_delete on its resource (write disposition merge with a primary key)", t.Name, job.Path)
	case t.WriteDisposition != schema.Merge:
		return nil, fmt.Errorf("table %s has write disposition %s, so the keys in %s cannot be marked deleted: "+
			"soft delete applies to write disposition merge", t.Name, t.WriteDisposition, job.Path)
	case len(t.PrimaryKey()) == 0:
		return nil, fmt.Errorf("table %s has no primary key, so the keys in %s match no row: set a primary key on its resource", t.Name, job.Path)
	}
	return t, nil
}

// KeyTable returns a table with the primary key columns of root only, in
// root's column order, named like root: the shape of the lines of a
// delete file.
func KeyTable(root *schema.Table) *schema.Table {
	k := &schema.Table{Name: root.Name, Resource: root.Resource, WriteDisposition: root.WriteDisposition}
	for _, c := range root.Columns {
		if c.PrimaryKey {
			col := *c
			k.Columns = append(k.Columns, &col)
		}
	}
	return k
}
