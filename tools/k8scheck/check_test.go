package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/darts-go/darts/sweep"
)

// manifest emits the Kubernetes manifest of an experiment file.
func manifest(t *testing.T, file string, o sweep.KubernetesOptions) []byte {
	t.Helper()
	e, err := sweep.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := e.Kubernetes(&b, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSweepManifests: what darts sweep emit --kubernetes writes for the
// project's experiment files decodes strictly into k8s.io/api's types and
// passes the Job API's rules, and says what was asked.
func TestSweepManifests(t *testing.T) {
	for _, file := range []string{"../../sweep/testdata/tiny.json", "../../experiments/compare.json", "../slurm/array.json"} {
		if _, err := os.Stat(file); err != nil {
			t.Fatalf("%s: %v (an experiment file this test checks has moved)", file, err)
		}
		for _, o := range []sweep.KubernetesOptions{
			{Image: "registry.example/darts:0.2", Claim: "darts-runs", Parallelism: 2, CPUs: 2},
			{Image: "darts", Claim: "runs", Parallelism: 100, CPUs: 4, Memory: "6Gi", Namespace: "nas", MountPath: "/data", Darts: "/usr/local/bin/darts"},
		} {
			m := manifest(t, file, o)
			summary, err := Check(m)
			if err != nil {
				t.Errorf("%s %+v: %v\n%s", file, o, err, m)
				continue
			}
			if len(summary) != 2 || !strings.Contains(summary[1], "Indexed") {
				t.Errorf("%s: %v", file, summary)
			}
		}
	}
}

// TestCheckCatches: the checker refuses what the API server would.
func TestCheckCatches(t *testing.T) {
	good := manifest(t, "../../sweep/testdata/tiny.json", sweep.KubernetesOptions{Image: "darts", Claim: "runs", Parallelism: 2, CPUs: 2})
	if _, err := Check(good); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ old, new, want string }{
		{"completionMode:", "completionsMode:", `unknown field "completionsMode"`},
		{`restartPolicy: "Never"`, `restartPolicy: "Always"`, "a Job's pods need OnFailure or Never"},
		{`restartPolicy: "Never"`, `restartPolicy: "OnFailure"`, "podFailurePolicy: needs the pod template's restartPolicy Never"},
		{`action: "Ignore"`, `action: "Skip"`, `action "Skip": unknown`},
		{`- name: "runs"`, `- name: "other"`, `volumeMount "other" names no volume`},
		{`completions: 6`, `completions: "six"`, "cannot unmarshal string"},
		{`cpu: "2"`, `cpu: "two"`, "quantities must match"},
		{`name: "darts-sweep-tiny"`, `name: "Darts_Sweep"`, `metadata.name "Darts_Sweep"`},
	} {
		bad := bytes.Replace(good, []byte(c.old), []byte(c.new), 1)
		if bytes.Equal(bad, good) {
			t.Fatalf("%q is not in the manifest", c.old)
		}
		if _, err := Check(bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %s: err %v, want %q", c.old, c.new, err, c.want)
		}
	}
}

// TestSchemaFile: sweep/testdata/k8s_schema.json, which sweep's own test
// checks manifests against, is what Schema gives for the pinned k8s.io/api.
func TestSchemaFile(t *testing.T) {
	b, err := os.ReadFile("../../sweep/testdata/k8s_schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(Schema())
	have, _ := json.Marshal(got)
	if !bytes.Equal(want, have) {
		t.Error("sweep/testdata/k8s_schema.json is stale: regenerate it with (cd tools/k8scheck && go run . schema > ../../sweep/testdata/k8s_schema.json)")
	}
}
