package rundir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path so that a reader (or a crash) sees
// either the old file or the new one, never a mix: it writes a temporary file
// in the same directory, fsyncs it, renames it over path and fsyncs the
// directory so the rename itself survives a power loss.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("rundir: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("rundir: write %s: %w", path, err)
	}
	// CreateTemp uses 0600; give the file the permissions the caller asked for.
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("rundir: write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("rundir: write %s: sync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("rundir: write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rundir: write %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename or a file creation in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("rundir: sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("rundir: sync directory %s: %w", dir, err)
	}
	return nil
}

// WriteJSON writes v as indented JSON followed by a newline to path,
// atomically (see WriteFileAtomic), with permissions 0644.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("rundir: encode %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'), 0o644)
}
