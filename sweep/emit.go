package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SlurmOptions shape the sbatch script of Slurm.
type SlurmOptions struct {
	// Darts is the darts binary as the cluster's nodes see it ("darts":
	// found on PATH). File is the experiment file, Workdir the directory
	// the members' directories are relative to (the script's --chdir);
	// both must be on a path every node shares.
	Darts, File, Workdir string
	// Parallel caps the array tasks running at once (sbatch's %N; 0: no
	// cap). CPUs is --cpus-per-task, also passed as --threads.
	Parallel, CPUs int
	// Mem (--mem, "8G"), Time (--time, "4:00:00") and Partition are left
	// to the cluster's defaults when empty.
	Mem, Time, Partition string
}

// sbatchValue are the values an #SBATCH line takes without quoting.
var sbatchValue = regexp.MustCompile(`^[A-Za-z0-9._+:/%=,@-]*$`)

// Slurm writes an sbatch script that runs the experiment as an array job,
// one task per member (--array=0-(n-1)): each task runs `darts sweep run
// FILE`, which takes its member from SLURM_ARRAY_TASK_ID. A task stopped
// by its time limit or by preemption (SIGTERM) checkpoints; submitting the
// script again resumes every unfinished member and skips the finished.
func (e *Experiment) Slurm(w io.Writer, o SlurmOptions) error {
	if o.Darts == "" {
		o.Darts = "darts"
	}
	if o.CPUs < 1 {
		return fmt.Errorf("slurm: cpus %d: need at least 1", o.CPUs)
	}
	if o.Parallel < 0 {
		return fmt.Errorf("slurm: parallel %d: need 0 (no cap) or more", o.Parallel)
	}
	if len(e.Members) == 0 {
		return fmt.Errorf("slurm: %s has no members", e.Path)
	}
	array := fmt.Sprintf("0-%d", len(e.Members)-1)
	if o.Parallel > 0 {
		array += "%" + strconv.Itoa(o.Parallel)
	}
	opts := [][2]string{
		{"job-name", "darts-" + e.Name},
		{"array", array},
		{"cpus-per-task", strconv.Itoa(o.CPUs)},
		{"ntasks", "1"},
		{"chdir", o.Workdir},
		{"output", "darts-" + e.Name + "-%A_%a.out"},
		{"open-mode", "append"},
		{"mem", o.Mem},
		{"time", o.Time},
		{"partition", o.Partition},
	}
	var b bytes.Buffer
	b.WriteString("#!/bin/bash\n")
	for _, kv := range opts {
		if kv[1] == "" {
			continue
		}
		if !sbatchValue.MatchString(kv[1]) {
			return fmt.Errorf("slurm: --%s %q: sbatch takes no spaces or quotes there; choose a simpler path or value", kv[0], kv[1])
		}
		fmt.Fprintf(&b, "#SBATCH --%s=%s\n", kv[0], kv[1])
	}
	fmt.Fprintf(&b, `#
# darts sweep: experiment %s (%s), %d members, one array task each.
# Submit with: sbatch THIS_FILE. Task i runs member i (darts sweep plan %s
# lists them) in %s/MEMBER. A task stopped by its time limit or by
# preemption checkpoints on SIGTERM; submitting again (or only some tasks:
# sbatch --array=3,5 THIS_FILE) resumes the unfinished members and skips
# the finished ones. darts sweep report %s aggregates them.
set -eu
exec %s sweep run %s --threads "${SLURM_CPUS_PER_TASK:-%d}"
`, e.Name, e.Path, len(e.Members), shellQuote(o.File), e.Out, shellQuote(o.File),
		shellQuote(o.Darts), shellQuote(o.File), o.CPUs)
	_, err := w.Write(b.Bytes())
	return err
}

// shellQuote quotes s for a POSIX shell, leaving plain words alone.
func shellQuote(s string) string {
	if s != "" && sbatchValue.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// KubernetesOptions shape the Indexed Job of Kubernetes.
type KubernetesOptions struct {
	// Image is the container image holding the darts binary, Darts its
	// path in the image ("darts": on PATH).
	Image, Darts string
	// Claim is the PersistentVolumeClaim every pod mounts at MountPath
	// ("/work"), the pods' working directory: the members' directories
	// go there (the experiment's "out" is relative to it).
	Claim, MountPath string
	// Parallelism is how many pods run at once (at most the members).
	Parallelism int
	// CPUs and Memory ("4Gi") are each pod's request and limit; CPUs is
	// also passed as --threads.
	CPUs   int
	Memory string
	// Namespace, if set, goes into the objects' metadata.
	Namespace string
	// BackoffLimit is the Job's budget of failed pods (pods that end in
	// an error; evicted or preempted ones do not count); 0 means 3 per
	// member.
	BackoffLimit int
}

// dnsLabel is an RFC 1123 label, as Kubernetes object names.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Patterns compiled once: a Kubernetes memory quantity, a ConfigMap key,
// a YAML key that needs no quoting.
var (
	k8sQuantity  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$`)
	configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	plainYAMLKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._/-]*$`)
)

// KubeName is the name the experiment's Job and ConfigMap get:
// darts-sweep-NAME, lower-cased, other characters as "-", cut so that the
// pods' hostnames (NAME-INDEX) stay within 63 characters.
func (e *Experiment) KubeName() string {
	var b strings.Builder
	for _, r := range strings.ToLower("darts-sweep-" + e.Name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	n := b.String()
	maxLen := 63 - 1 - len(strconv.Itoa(len(e.Members)))
	if len(n) > maxLen {
		n = n[:maxLen]
	}
	return strings.TrimRight(n, "-")
}

// Kubernetes writes the manifest of the experiment as YAML: a ConfigMap
// holding the experiment file, and an Indexed Job (completionMode
// Indexed, completions = the members, parallelism as asked) whose pod i
// runs `darts sweep run FILE`, which takes member i from
// JOB_COMPLETION_INDEX (set by Kubernetes in every pod of an Indexed Job).
// SIGTERM (an eviction, a preemption, a deletion) checkpoints within the
// grace period; a pod so disrupted does not count against backoffLimit
// (podFailurePolicy), and its index's next pod resumes the member, as does
// the next pod after a failure.
func (e *Experiment) Kubernetes(w io.Writer, o KubernetesOptions) error {
	objs, err := e.kubeObjects(&o)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# darts sweep: experiment %s (%s), %d members, one pod per completion index.\n", e.Name, e.Path, len(e.Members))
	fmt.Fprintf(&b, "# kubectl apply -f THIS_FILE; pod i runs member i (darts sweep plan lists them) in %s/%s/MEMBER\n", o.MountPath, e.Out)
	fmt.Fprintf(&b, "# on the claim %s. Deleting the Job and applying it again resumes the unfinished members.\n", o.Claim)
	for _, obj := range objs {
		b.WriteString("---\n")
		writeYAML(&b, obj, 0)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// kubeObjects are the ConfigMap and the Job of Kubernetes, with o's
// defaults filled in.
func (e *Experiment) kubeObjects(o *KubernetesOptions) ([]yobj, error) {
	if o.Darts == "" {
		o.Darts = "darts"
	}
	if o.MountPath == "" {
		o.MountPath = "/work"
	}
	switch {
	case o.Image == "":
		return nil, fmt.Errorf("kubernetes: no image: name the container image that holds darts")
	case o.Claim == "":
		return nil, fmt.Errorf("kubernetes: no claim: the members' directories need a PersistentVolumeClaim every pod shares")
	case !dnsLabel.MatchString(o.Claim):
		return nil, fmt.Errorf("kubernetes: claim %q: not a Kubernetes name (lower-case letters, digits and -)", o.Claim)
	case o.Namespace != "" && !dnsLabel.MatchString(o.Namespace):
		return nil, fmt.Errorf("kubernetes: namespace %q: not a Kubernetes name (lower-case letters, digits and -)", o.Namespace)
	case !path.IsAbs(o.MountPath):
		return nil, fmt.Errorf("kubernetes: mount path %q: need an absolute path", o.MountPath)
	case o.CPUs < 1:
		return nil, fmt.Errorf("kubernetes: cpus %d: need at least 1", o.CPUs)
	case o.Parallelism < 1:
		return nil, fmt.Errorf("kubernetes: parallelism %d: need at least 1", o.Parallelism)
	case len(e.Members) == 0:
		return nil, fmt.Errorf("kubernetes: %s has no members", e.Path)
	case filepath.IsAbs(e.Out):
		return nil, fmt.Errorf("kubernetes: %s: out %q is absolute; the pods see it under %s, so give it relative to there", e.Path, e.Out, o.MountPath)
	}
	if o.Memory != "" && !k8sQuantity.MatchString(o.Memory) {
		return nil, fmt.Errorf("kubernetes: memory %q: not a Kubernetes quantity (e.g. 4Gi, 512Mi)", o.Memory)
	}
	n := len(e.Members)
	backoff := o.BackoffLimit
	if backoff == 0 {
		backoff = 3 * n
	}
	name := e.KubeName()
	file := filepath.Base(e.Path)
	if !configMapKey.MatchString(file) {
		file = "experiment.json"
	}
	meta := func() yobj {
		m := yobj{{"name", name}}
		if o.Namespace != "" {
			m = append(m, ykv{"namespace", o.Namespace})
		}
		return append(m, ykv{"labels", yobj{{"app.kubernetes.io/name", "darts-sweep"}, {"darts-sweep/experiment", name}}})
	}
	configMap := yobj{
		{"apiVersion", "v1"},
		{"kind", "ConfigMap"},
		{"metadata", meta()},
		{"data", yobj{{file, string(e.raw)}}},
	}
	resources := yobj{{"cpu", strconv.Itoa(o.CPUs)}}
	if o.Memory != "" {
		resources = append(resources, ykv{"memory", o.Memory})
	}
	const filesDir = "/etc/darts-sweep"
	container := yobj{
		{"name", "darts"},
		{"image", o.Image},
		{"command", []any{o.Darts, "sweep", "run", filesDir + "/" + file, "--threads", strconv.Itoa(o.CPUs)}},
		{"workingDir", o.MountPath},
		{"resources", yobj{{"requests", resources}, {"limits", resources}}},
		{"volumeMounts", []any{
			yobj{{"name", "runs"}, {"mountPath", o.MountPath}},
			yobj{{"name", "experiment"}, {"mountPath", filesDir}, {"readOnly", true}},
		}},
	}
	jobObj := yobj{
		{"apiVersion", "batch/v1"},
		{"kind", "Job"},
		{"metadata", meta()},
		{"spec", yobj{
			{"completionMode", "Indexed"},
			{"completions", n},
			{"parallelism", min(o.Parallelism, n)},
			{"backoffLimit", backoff},
			// A pod evicted or preempted (it checkpoints on SIGTERM) is
			// not a failure: the Job starts another for its index, which
			// resumes.
			{"podFailurePolicy", yobj{{"rules", []any{
				yobj{{"action", "Ignore"}, {"onPodConditions", []any{yobj{{"type", "DisruptionTarget"}, {"status", "True"}}}}},
			}}}},
			{"template", yobj{
				{"metadata", yobj{{"labels", yobj{{"app.kubernetes.io/name", "darts-sweep"}, {"darts-sweep/experiment", name}}}}},
				{"spec", yobj{
					{"restartPolicy", "Never"}, // as podFailurePolicy requires
					{"terminationGracePeriodSeconds", 120},
					{"containers", []any{container}},
					{"volumes", []any{
						yobj{{"name", "runs"}, {"persistentVolumeClaim", yobj{{"claimName", o.Claim}}}},
						yobj{{"name", "experiment"}, {"configMap", yobj{{"name", name}}}},
					}},
				}},
			}},
		}},
	}
	return []yobj{configMap, jobObj}, nil
}

// ykv and yobj are an ordered YAML mapping.
type ykv struct {
	k string
	v any
}
type yobj []ykv

// writeYAML writes v as block YAML at the given indent. Strings are
// written as JSON strings, which YAML reads as double-quoted scalars, so
// no value can be misread (yes, 1e3, a colon); a multi-line string is a
// literal block.
func writeYAML(b *bytes.Buffer, v any, indent int) {
	pad := strings.Repeat("  ", indent)
	switch x := v.(type) {
	case yobj:
		for _, kv := range x {
			b.WriteString(pad + yamlKey(kv.k) + ":")
			writeValue(b, kv.v, indent)
		}
	case []any:
		for _, item := range x {
			b.WriteString(pad + "-")
			if o, ok := item.(yobj); ok && len(o) > 0 {
				// The first pair on the dash's line, the rest below it.
				b.WriteString(" " + yamlKey(o[0].k) + ":")
				writeValue(b, o[0].v, indent+1)
				writeYAML(b, o[1:], indent+1)
				continue
			}
			writeValue(b, item, indent)
		}
	}
}

func writeValue(b *bytes.Buffer, v any, indent int) {
	switch x := v.(type) {
	case yobj:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		writeYAML(b, x, indent+1)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		writeYAML(b, x, indent+1)
	case string:
		if literalBlock(x) {
			pad := strings.Repeat("  ", indent+1)
			b.WriteString(" |\n")
			for _, line := range strings.SplitAfter(x[:len(x)-1], "\n") {
				if line == "\n" {
					b.WriteString(line)
				} else {
					b.WriteString(pad + line)
				}
			}
			b.WriteString("\n")
			return
		}
		q, _ := json.Marshal(x)
		b.WriteString(" " + string(q) + "\n")
	default:
		fmt.Fprintf(b, " %v\n", x)
	}
}

// literalBlock reports whether s reads back the same from a YAML literal
// block ("|", clip chomping): several lines ending in exactly one newline,
// none with trailing blanks or tabs, the first not indented, only printable
// characters.
func literalBlock(s string) bool {
	if !strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "\n\n") || !strings.Contains(s[:len(s)-1], "\n") ||
		strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") {
		return false
	}
	for _, line := range strings.Split(s[:len(s)-1], "\n") {
		if strings.TrimRight(line, " ") != line {
			return false
		}
		for _, r := range line {
			if r < 0x20 || r == 0x7f || r == 0xfeff || r == utf8.RuneError {
				return false
			}
		}
	}
	return utf8.ValidString(s)
}

func yamlKey(k string) string {
	if plainYAMLKey.MatchString(k) {
		return k
	}
	q, _ := json.Marshal(k)
	return string(q)
}

// MarshalJSON writes the mapping as a JSON object, in order.
func (o yobj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.k)
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
