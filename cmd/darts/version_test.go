package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// cpuHasAVX2FMA reads the CPU flags from /proc/cpuinfo, an oracle
// independent of internal/kern's CPUID code; ok is false where there is no
// such file.
func cpuHasAVX2FMA() (has, ok bool) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			f := " " + strings.Join(strings.Fields(line), " ") + " "
			return strings.Contains(f, " avx2 ") && strings.Contains(f, " fma "), true
		}
	}
	return false, false
}

// TestVersion: darts version prints the program, the Go toolchain and the
// kernel path; the path is a vector one exactly when the CPU has AVX2 and
// FMA (unless DARTS_KERNELS asks for plain), and config.json records it.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := version(nil, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "darts-go ") || lines[1] != runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH ||
		!strings.HasPrefix(lines[2], "kernels ") {
		t.Fatalf("darts version printed %q", out.String())
	}
	kernels := strings.TrimPrefix(lines[2], "kernels ")
	if has, ok := cpuHasAVX2FMA(); ok && runtime.GOARCH == "amd64" && os.Getenv("DARTS_KERNELS") == "" {
		if vector := kernels != "plain"; vector != has {
			t.Errorf("kernels %q on a CPU with AVX2 and FMA: %v", kernels, has)
		}
	}
	if code := run([]string{"version", "--bogus"}); code != 2 {
		t.Errorf("darts version --bogus exited %d, want 2", code)
	}

	dir := filepath.Join(t.TempDir(), "run")
	if err := train(tinyTrain(dir, "--epochs", "1"), buf(), buf()); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var conf struct{ Program, Kernels string }
	if err := json.Unmarshal(raw, &conf); err != nil || conf.Kernels != kernels || conf.Program != strings.Fields(lines[0])[0]+" "+strings.Fields(lines[0])[1] {
		t.Errorf("config.json program %q kernels %q (err %v), darts version says %q", conf.Program, conf.Kernels, err, out.String())
	}
}
