package tensorio

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFileAtomic writes an archive to path so that path holds either its
// old content or the complete new archive, even if the process or machine
// dies midway: it writes a temporary file in the same directory, syncs it,
// renames it over path and syncs the directory. The file gets mode 0644.
func WriteFileAtomic(path string, meta any, tensors []Tensor) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("tensorio: %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("tensorio: %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw, meta, tensors); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes the rename durable. Windows cannot open directories for
// syncing, and its rename is already durable enough for our use.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadFile reads the archive at path; see Read. Errors name the file.
func ReadFile(path string) (json.RawMessage, []Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			// The PathError already names the file.
			return nil, nil, fmt.Errorf("tensorio: %w", err)
		}
		return nil, nil, fmt.Errorf("tensorio: %s: %w", path, err)
	}
	meta, tensors, err := parse(b)
	if err != nil {
		return nil, nil, fmt.Errorf("tensorio: %s: %w", path, err)
	}
	return meta, tensors, nil
}
