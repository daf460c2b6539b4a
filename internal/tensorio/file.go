package tensorio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/darts-go/darts/internal/atomicfile"
)

// WriteFileAtomic writes an archive to path so that path holds either its
// old content or the complete new archive, even if the process or machine
// dies midway (see internal/atomicfile). The file gets mode 0644.
func WriteFileAtomic(path string, meta any, tensors []Tensor) error {
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return write(w, meta, tensors) })
	if err != nil {
		return fmt.Errorf("tensorio: %w", err)
	}
	return nil
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
