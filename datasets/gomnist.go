package datasets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// goMNISTCachePath is GoMNISTModule's folder inside the module cache, with
// the cache's case escaping (each upper-case letter becomes ! and its lower
// case).
const goMNISTCachePath = "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63"

// modCache returns the Go module cache as `go env GOMODCACHE` would, without
// running go: $GOMODCACHE, else the first $GOPATH entry's pkg/mod, else
// ~/go/pkg/mod. (A value set with `go env -w` is missed; the download
// fallback still finds it.)
func modCache() string {
	if v := os.Getenv("GOMODCACHE"); v != "" {
		return v
	}
	if gp := filepath.SplitList(os.Getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		return filepath.Join(gp[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// goMNISTDir returns the folder holding the MNIST IDX files: in the module
// cache if GoMNISTModule is there, else where `go mod download` puts it.
func goMNISTDir() (string, error) {
	if mc := modCache(); mc != "" {
		dir := filepath.Join(mc, filepath.FromSlash(goMNISTCachePath), "data")
		if _, missing := findMNISTFiles(dir); missing == "" {
			return dir, nil
		}
	}
	// Run outside any module so that the caller's go.mod is neither read
	// nor changed.
	cmd := exec.Command("go", "mod", "download", "-json", GoMNISTModule)
	cmd.Dir = os.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res struct{ Dir, Error string }
	_ = json.Unmarshal(stdout.Bytes(), &res)
	if runErr != nil || res.Error != "" || res.Dir == "" {
		why := strings.TrimSpace(res.Error)
		if why == "" {
			why = strings.TrimSpace(stderr.String())
		}
		if why == "" && runErr != nil {
			why = runErr.Error()
		}
		return "", fmt.Errorf("the IDX files come with the Go module %s, which is not in the module cache and `go mod download` failed (%s): run `go mod download %s` where the Go module proxy is reachable, or pass --data-dir DIR holding %s (each raw or .gz)",
			GoMNISTModule, why, GoMNISTModule, strings.Join(mnistFiles[:], ", "))
	}
	return filepath.Join(res.Dir, "data"), nil
}
