package sqlload

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// Reader reads what loads stored in a dataset: the recorded load ids,
// the pipeline states and the schema versions. A dataset that was never
// loaded has none of them, which is no error.
type Reader struct {
	// DB is the database that holds the datasets.
	DB *sql.DB
	// Dialect spells what differs between databases.
	Dialect Dialect
}

// HasLoad reports whether the package loadID has committed in dataset.
func (r Reader) HasLoad(ctx context.Context, dataset, loadID string) (bool, error) {
	ok, err := r.TableExists(ctx, dataset, schema.TableLoads)
	if err != nil || !ok {
		return false, err
	}
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE load_id = %s",
		Qualified(dataset, schema.TableLoads), r.Dialect.Param(1))
	var n int64
	if err := r.DB.QueryRowContext(ctx, q, loadID).Scan(&n); err != nil {
		return false, fmt.Errorf("look up load %s in dataset %s: %w", loadID, dataset, err)
	}
	return n > 0, nil
}

// State returns the pipeline state with the highest version stored for
// pipelineName in dataset, or nil when there is none.
func (r Reader) State(ctx context.Context, dataset, pipelineName string) (*destination.StoredState, error) {
	ok, err := r.TableExists(ctx, dataset, schema.TableState)
	if err != nil || !ok {
		return nil, err
	}
	text, err := r.Dialect.Type(schema.Text)
	if err != nil {
		return nil, err
	}
	// The cast to text returns the JSON document as it was written.
	q := fmt.Sprintf(`SELECT version, state::%s, created_at, %s FROM %s
		WHERE pipeline_name = %s ORDER BY version DESC LIMIT 1`,
		text, Ident(schema.ColumnLoadID), Qualified(dataset, schema.TableState), r.Dialect.Param(1))
	var (
		s     destination.StoredState
		state string
	)
	err = r.DB.QueryRowContext(ctx, q, pipelineName).Scan(&s.Version, &state, &s.CreatedAt, &s.LoadID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state of pipeline %s in dataset %s: %w", pipelineName, dataset, err)
	}
	s.State = json.RawMessage(state)
	s.CreatedAt = s.CreatedAt.UTC()
	return &s, nil
}

// Schema returns the schema most recently stored in dataset under name,
// or nil when there is none.
func (r Reader) Schema(ctx context.Context, dataset, name string) (*schema.Schema, error) {
	ok, err := r.TableExists(ctx, dataset, schema.TableVersion)
	if err != nil || !ok {
		return nil, err
	}
	text, err := r.Dialect.Type(schema.Text)
	if err != nil {
		return nil, err
	}
	q := fmt.Sprintf(`SELECT schema::%s FROM %s
		WHERE schema_name = %s ORDER BY inserted_at DESC, version DESC LIMIT 1`,
		text, Qualified(dataset, schema.TableVersion), r.Dialect.Param(1))
	var doc string
	err = r.DB.QueryRowContext(ctx, q, name).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read schema %s in dataset %s: %w", name, dataset, err)
	}
	var s schema.Schema
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return nil, fmt.Errorf("decode schema %s stored in dataset %s: %w", name, dataset, err)
	}
	return &s, nil
}

// TableExists reports whether dataset contains the table, so that reads
// of a dataset that was never loaded return nothing instead of an error.
func (r Reader) TableExists(ctx context.Context, dataset, table string) (bool, error) {
	var ok bool
	if err := r.DB.QueryRowContext(ctx, r.Dialect.TableExists(), dataset, table).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up table %s in dataset %s: %w", table, dataset, err)
	}
	return ok, nil
}
