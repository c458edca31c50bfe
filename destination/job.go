package destination

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// OpenJob opens the job file at path for reading. A name that ends in
// ".zst" holds zstd-compressed JSONL, which the returned reader
// decompresses; any other name is read as it is. Close the reader when
// done.
func OpenJob(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".zst") {
		return f, nil
	}
	// One goroutine keeps the memory of a load small; a job file is read
	// from start to end, which needs no more.
	d, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read compressed job file %s: %w", path, err)
	}
	return &zstdFile{d: d, f: f, path: path}, nil
}

// zstdFile decompresses a job file as it is read.
type zstdFile struct {
	d    *zstd.Decoder
	f    *os.File
	path string
}

func (z *zstdFile) Read(p []byte) (int, error) {
	n, err := z.d.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("decompress job file %s: %w", z.path, err)
	}
	return n, err
}

func (z *zstdFile) Close() error {
	z.d.Close()
	return z.f.Close()
}
