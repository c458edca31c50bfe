package normalize

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
)

// fileWriter is the open file of a table.
type fileWriter struct {
	f     *os.File
	w     *bufio.Writer
	zw    *zstd.Encoder // between w and f when the file is compressed
	file  File
	bytes int64 // uncompressed
}

// write appends the rows of the current item to their tables' files.
// The first error ends the Normalizer.
func (n *Normalizer) write() {
	for _, r := range n.rows {
		if err := n.writeRow(r.t, n.out[r.start:r.end]); err != nil {
			n.err = err
			return
		}
	}
}

func (n *Normalizer) writeRow(t *table, row []byte) error {
	if t.out == nil {
		name := fileName(t.t.Name, len(t.files))
		if n.Compress {
			name += ".zst"
		}
		path := filepath.Join(n.dir, name)
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("create file for table %s: %w", t.t.Name, err)
		}
		w := &fileWriter{f: f, file: File{Table: t.t.Name, Path: path}}
		var dst io.Writer = f
		if n.Compress {
			if w.zw, err = newEncoder(f); err != nil {
				f.Close()
				return fmt.Errorf("compress file for table %s: %w", t.t.Name, err)
			}
			dst = w.zw
		}
		w.w = bufio.NewWriterSize(dst, 32<<10)
		t.out = w
	}
	w := t.out
	if _, err := w.w.Write(row); err != nil {
		return fmt.Errorf("write rows of table %s to %s: %w", t.t.Name, w.file.Path, err)
	}
	w.file.Rows++
	w.bytes += int64(len(row))
	if n.MaxFileBytes > 0 && w.bytes >= n.MaxFileBytes {
		return n.closeFile(t)
	}
	return nil
}

// closeFile flushes, syncs and closes the open file of t, so that a
// package marked normalized afterwards never refers to a file that a
// crash cut short.
func (n *Normalizer) closeFile(t *table) error {
	w := t.out
	t.out = nil
	err := w.w.Flush()
	if w.zw != nil {
		// Close also ends the encoder's goroutines, so it runs even after
		// a failed flush.
		if cerr := w.zw.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil && !n.skipSync {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", w.file.Path, err)
	}
	t.files = append(t.files, w.file)
	return nil
}

// Close flushes and closes the open files and returns every file written,
// parent tables before their children and each table's files in order.
// The Normalizer cannot be used after Close.
func (n *Normalizer) Close() ([]File, error) {
	if n.closed {
		return nil, errClosed
	}
	n.closed = true

	tables := make([]*table, 0, len(n.tables))
	for _, t := range n.tables {
		tables = append(tables, t)
	}
	// Tables are created after their parents, so schema order puts
	// parents first.
	slices.SortFunc(tables, func(a, b *table) int { return cmp.Compare(a.order, b.order) })

	// Files are synced in parallel: file systems such as ext4 commit
	// concurrent syncs together, which takes a fraction of syncing them
	// one after another.
	errs := make([]error, len(tables)+1)
	errs[0] = n.err
	var wg sync.WaitGroup
	for i, t := range tables {
		if t.out != nil {
			wg.Go(func() { errs[i+1] = n.closeFile(t) })
		}
	}
	wg.Wait()

	var files []File
	for _, t := range tables {
		files = append(files, t.files...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

// newEncoder returns a zstd writer to f at the fastest level. With two
// goroutines, a full block is compressed while the normalizer fills the
// next, which keeps compression off the normalizer's path when a core is
// free. One file stays open per table, so each encoder is kept small:
// a 1 MiB window instead of the default 8 MiB.
func newEncoder(f io.Writer) (*zstd.Encoder, error) {
	return zstd.NewWriter(f,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(2),
		zstd.WithWindowSize(1<<20),
		zstd.WithLowerEncoderMem(true))
}

// maxFileStem bounds the table part of a file name, as many file systems
// allow 255 bytes per name.
const maxFileStem = 200

// fileName returns <table>.<n>.jsonl. A table name too long for a file
// name is cut and given a hash of the whole name, which keeps names of
// different tables apart.
func fileName(table string, n int) string {
	stem := table
	if len(stem) > maxFileStem {
		cut := maxFileStem - 17
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		sum := sha256.Sum256([]byte(table))
		stem = stem[:cut] + "_" + hex.EncodeToString(sum[:8])
	}
	return stem + "." + strconv.Itoa(n) + ".jsonl"
}
