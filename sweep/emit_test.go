package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// k8sSchema is testdata/k8s_schema.json: the JSON fields of every type a
// ConfigMap and a batch/v1 Job reach, from the Go types of k8s.io/api
// (written by tools/k8scheck, whose own test holds it to them).
type k8sSchema struct {
	Kinds map[string]string            `json:"kinds"`
	Types map[string]map[string]string `json:"types"`
}

// check reports the first field of v that is not in type typ, or whose
// value is not of the field's type.
func (s *k8sSchema) check(v any, typ, path string) error {
	switch {
	case typ == "object":
		return nil
	case typ == "string" || typ == "time":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: %v is not a string", path, v)
		}
		return nil
	case typ == "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %v is not a boolean", path, v)
		}
		return nil
	case typ == "integer":
		if x, ok := v.(float64); !ok || x != float64(int64(x)) {
			return fmt.Errorf("%s: %v is not an integer", path, v)
		}
		return nil
	case typ == "quantity" || typ == "int-or-string":
		switch v.(type) {
		case string, float64:
			return nil
		}
		return fmt.Errorf("%s: %v is not a %s", path, v, typ)
	case strings.HasPrefix(typ, "[]"):
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %v is not a list", path, v)
		}
		for i, x := range list {
			if err := s.check(x, typ[2:], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case strings.HasPrefix(typ, "map[string]"):
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %v is not a map", path, v)
		}
		for k, x := range m {
			if err := s.check(x, typ[len("map[string]"):], path+"."+k); err != nil {
				return err
			}
		}
		return nil
	}
	fields, ok := s.Types[typ]
	if !ok {
		return fmt.Errorf("%s: type %s is not in the schema", path, typ)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: %v is not an object (%s)", path, v, typ)
	}
	for k, x := range m {
		ft, ok := fields[k]
		if !ok {
			return fmt.Errorf("%s.%s: no such field in %s", path, k, typ)
		}
		if err := s.check(x, ft, path+"."+k); err != nil {
			return err
		}
	}
	return nil
}

func readSchema(t *testing.T) *k8sSchema {
	b, err := os.ReadFile("testdata/k8s_schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s k8sSchema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestKubernetesSchema holds the manifest's objects to the fields and
// types of k8s.io/api (an unknown or misspelt field, a string where the
// API wants a number, fails), and to what was asked.
func TestKubernetesSchema(t *testing.T) {
	s := readSchema(t)
	e, err := ReadFile("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	o := KubernetesOptions{Image: "reg/darts:0.2", Claim: "runs", Parallelism: 4, CPUs: 3, Memory: "6Gi", Namespace: "nas"}
	objs, err := e.kubeObjects(&o)
	if err != nil {
		t.Fatal(err)
	}
	var generic []map[string]any
	for _, obj := range objs {
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		kind := fmt.Sprint(m["apiVersion"], " ", m["kind"])
		typ, ok := s.Kinds[kind]
		if !ok {
			t.Fatalf("kind %q is not in the schema", kind)
		}
		if err := s.check(m, typ, kind); err != nil {
			t.Error(err)
		}
		generic = append(generic, m)
	}
	job := generic[1]
	spec := job["spec"].(map[string]any)
	if spec["completionMode"] != "Indexed" || spec["completions"] != 6.0 || spec["parallelism"] != 4.0 {
		t.Errorf("spec %v", spec)
	}
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	c := pod["containers"].([]any)[0].(map[string]any)
	cmd := fmt.Sprint(c["command"])
	if cmd != "[darts sweep run /etc/darts-sweep/tiny.json --threads 3]" || c["workingDir"] != "/work" || c["image"] != "reg/darts:0.2" {
		t.Errorf("container %v", c)
	}
	data := generic[0]["data"].(map[string]any)["tiny.json"]
	raw, _ := os.ReadFile("testdata/tiny.json")
	if data != string(raw) {
		t.Error("the ConfigMap does not hold the experiment file as it is")
	}
	// The checker catches a misspelt field and a mistyped value.
	bad := map[string]any{"spec": map[string]any{"completionsMode": "Indexed"}}
	if err := s.check(bad, s.Kinds["batch/v1 Job"], "Job"); err == nil || !strings.Contains(err.Error(), "Job.spec.completionsMode: no such field") {
		t.Errorf("misspelt field: %v", err)
	}
	bad = map[string]any{"spec": map[string]any{"parallelism": "4"}}
	if err := s.check(bad, s.Kinds["batch/v1 Job"], "Job"); err == nil || !strings.Contains(err.Error(), "is not an integer") {
		t.Errorf("mistyped value: %v", err)
	}
}

func TestKubernetesErrors(t *testing.T) {
	e, err := ReadFile("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	ok := KubernetesOptions{Image: "darts", Claim: "runs", Parallelism: 1, CPUs: 1}
	for _, c := range []struct {
		mod  func(*KubernetesOptions)
		want string
	}{
		{func(o *KubernetesOptions) { o.Image = "" }, "no image"},
		{func(o *KubernetesOptions) { o.Claim = "" }, "no claim"},
		{func(o *KubernetesOptions) { o.Claim = "My_Claim" }, `claim "My_Claim": not a Kubernetes name`},
		{func(o *KubernetesOptions) { o.MountPath = "work" }, `mount path "work": need an absolute path`},
		{func(o *KubernetesOptions) { o.Memory = "4 GB" }, `memory "4 GB": not a Kubernetes quantity`},
		{func(o *KubernetesOptions) { o.CPUs = 0 }, "cpus 0"},
	} {
		o := ok
		c.mod(&o)
		if err := e.Kubernetes(&bytes.Buffer{}, o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", o, err, c.want)
		}
	}
	long := *e
	long.Name = strings.Repeat("x", 80)
	if n := long.KubeName(); len(n) > 63-2 || !strings.HasPrefix(n, "darts-sweep-xxx") {
		t.Errorf("KubeName %q (%d)", n, len(n))
	}
}

// TestSlurmScript runs the sbatch script with bash as Slurm would start
// an array task (SLURM_ARRAY_TASK_ID and SLURM_CPUS_PER_TASK set) and a
// stand-in darts that records its arguments: the task runs darts sweep
// run on the experiment file with the task's CPUs; the #SBATCH lines ask
// for the array and the resources.
func TestSlurmScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	e, err := ReadFile("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake darts")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.Slurm(&b, SlurmOptions{Darts: fake, File: "/shared/exp files/tiny.json", Workdir: "/shared/w", Parallel: 2, CPUs: 4, Time: "2:00:00", Mem: "8G"}); err != nil {
		t.Fatal(err)
	}
	script := b.String()
	for _, line := range []string{"#SBATCH --array=0-5%2\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --chdir=/shared/w\n", "#SBATCH --time=2:00:00\n",
		"#SBATCH --mem=8G\n", "#SBATCH --output=darts-tiny-%A_%a.out\n", "#SBATCH --ntasks=1\n"} {
		if !strings.Contains(script, line) {
			t.Errorf("script lacks %q:\n%s", line, script)
		}
	}
	if strings.Contains(script, "--partition") {
		t.Errorf("an empty partition is left out:\n%s", script)
	}
	path := filepath.Join(dir, "job.sbatch")
	if err := os.WriteFile(path, b.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", path)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=3", "SLURM_CPUS_PER_TASK=4")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	args := readFile(t, filepath.Join(dir, "args"))
	if want := "sweep\nrun\n/shared/exp files/tiny.json\n--threads\n4\n"; string(args) != want {
		t.Errorf("darts got %q, want %q", args, want)
	}
	if err := e.Slurm(&b, SlurmOptions{File: "x", Workdir: "/a b", CPUs: 1}); err == nil || !strings.Contains(err.Error(), `--chdir "/a b": sbatch takes no spaces`) {
		t.Errorf("a workdir with a space: %v", err)
	}
}
