package rundir

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/darts-go/darts/internal/atomicfile"
)

// WriteFileAtomic writes data to path so that a reader (or a crash) sees
// either the old file or the new one, never a mix (see internal/atomicfile,
// the one writer every run file goes through).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := atomicfile.WriteFile(path, data, perm); err != nil {
		return fmt.Errorf("rundir: %w", err)
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
