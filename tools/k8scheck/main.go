// Command k8scheck checks Kubernetes manifests the way the API server
// would accept them, without a cluster: every YAML document is read with
// sigs.k8s.io/yaml (kubectl's reader), decoded strictly (an unknown field
// is an error, as with kubectl --validate=strict) into the API's own Go
// types from k8s.io/api (ConfigMap, batch/v1 Job), and held to the rules
// of the Job API that apply to what darts sweep emits (names, labels,
// Indexed completion, restart policy, containers, volumes, quantities).
// kubectl itself cannot do this offline: even --dry-run=client downloads
// the schema from a server.
//
//	go run . MANIFEST.yaml...   check manifests
//	go run . schema             print the fields of the types darts sweep emits,
//	                            from k8s.io/api, for sweep's own test (sweep/testdata/k8s_schema.json)
//
// It is a module of its own so that darts-go does not depend on k8s.io.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "schema" {
		b, err := json.MarshalIndent(Schema(), "", "  ")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Stdout.Write(append(b, '\n'))
		return
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8scheck MANIFEST.yaml... | k8scheck schema")
		os.Exit(2)
	}
	failed := false
	for _, f := range os.Args[1:] {
		b, err := os.ReadFile(f)
		if err == nil {
			var summary []string
			summary, err = Check(b)
			for _, s := range summary {
				fmt.Printf("%s: %s\n", f, s)
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", f, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// Check checks every document of a manifest and returns a line per
// object.
func Check(manifest []byte) ([]string, error) {
	var summary []string
	var configMaps []corev1.ConfigMap
	var jobs []batchv1.Job
	for i, doc := range splitDocuments(manifest) {
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return summary, fmt.Errorf("document %d: %w", i, err)
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue // comments only
		}
		var tm metav1.TypeMeta
		if err := json.Unmarshal(js, &tm); err != nil {
			return summary, fmt.Errorf("document %d: %w", i, err)
		}
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 ConfigMap":
			var cm corev1.ConfigMap
			if err := strict(js, &cm); err != nil {
				return summary, fmt.Errorf("document %d (ConfigMap): %w", i, err)
			}
			if err := checkConfigMap(cm); err != nil {
				return summary, fmt.Errorf("ConfigMap %s: %w", cm.Name, err)
			}
			configMaps = append(configMaps, cm)
			summary = append(summary, fmt.Sprintf("ConfigMap %s: ok (%d keys)", cm.Name, len(cm.Data)))
		case "batch/v1 Job":
			var j batchv1.Job
			if err := strict(js, &j); err != nil {
				return summary, fmt.Errorf("document %d (Job): %w", i, err)
			}
			if err := checkJob(j); err != nil {
				return summary, fmt.Errorf("Job %s: %w", j.Name, err)
			}
			jobs = append(jobs, j)
			summary = append(summary, fmt.Sprintf("Job %s: ok (%s, %d completions, parallelism %d)",
				j.Name, *j.Spec.CompletionMode, *j.Spec.Completions, *j.Spec.Parallelism))
		default:
			return summary, fmt.Errorf("document %d: apiVersion %q kind %q: not one this checker knows", i, tm.APIVersion, tm.Kind)
		}
	}
	// A ConfigMap volume must name a ConfigMap of the manifest.
	for _, j := range jobs {
		for _, v := range j.Spec.Template.Spec.Volumes {
			if v.ConfigMap == nil {
				continue
			}
			found := false
			for _, cm := range configMaps {
				found = found || cm.Name == v.ConfigMap.Name && cm.Namespace == j.Namespace
			}
			if !found {
				return summary, fmt.Errorf("Job %s: volume %s names ConfigMap %q, which the manifest does not define in its namespace", j.Name, v.Name, v.ConfigMap.Name)
			}
		}
	}
	if len(summary) == 0 {
		return nil, errors.New("no objects")
	}
	return summary, nil
}

// splitDocuments splits a YAML stream at its "---" lines.
func splitDocuments(b []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if t := bytes.TrimRight(line, "\r\n"); bytes.Equal(t, []byte("---")) {
			docs = append(docs, cur)
			cur = nil
			continue
		}
		cur = append(cur, line...)
	}
	return append(docs, cur)
}

// strict decodes JSON into v, refusing unknown fields and trailing data.
func strict(js []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(js))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

func checkMeta(m metav1.ObjectMeta) error {
	if errs := validation.IsDNS1123Subdomain(m.Name); len(errs) > 0 {
		return fmt.Errorf("metadata.name %q: %s", m.Name, strings.Join(errs, "; "))
	}
	if m.Namespace != "" {
		if errs := validation.IsDNS1123Label(m.Namespace); len(errs) > 0 {
			return fmt.Errorf("metadata.namespace %q: %s", m.Namespace, strings.Join(errs, "; "))
		}
	}
	return checkLabels("metadata.labels", m.Labels)
}

func checkLabels(where string, labels map[string]string) error {
	for k, v := range labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("%s key %q: %s", where, k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return fmt.Errorf("%s[%s] %q: %s", where, k, v, strings.Join(errs, "; "))
		}
	}
	return nil
}

func checkConfigMap(cm corev1.ConfigMap) error {
	if err := checkMeta(cm.ObjectMeta); err != nil {
		return err
	}
	size := 0
	for k, v := range cm.Data {
		if errs := validation.IsConfigMapKey(k); len(errs) > 0 {
			return fmt.Errorf("data key %q: %s", k, strings.Join(errs, "; "))
		}
		size += len(k) + len(v)
	}
	if size > 1<<20 {
		return fmt.Errorf("data: %d bytes, more than a ConfigMap's 1 MiB", size)
	}
	return nil
}

// checkJob applies the rules of the Job API (pkg/apis/batch/validation
// and the pod template's) that bear on the fields darts sweep sets.
func checkJob(j batchv1.Job) error {
	if err := checkMeta(j.ObjectMeta); err != nil {
		return err
	}
	s := j.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		return errors.New("spec.completionMode: want Indexed")
	}
	if s.Completions == nil || *s.Completions < 1 {
		return errors.New("spec.completions: required with completionMode Indexed, and at least 1")
	}
	if s.Parallelism == nil || *s.Parallelism < 0 || *s.Parallelism > 100000 {
		return errors.New("spec.parallelism: need 0..100000 with completionMode Indexed")
	}
	if s.BackoffLimit != nil && *s.BackoffLimit < 0 {
		return errors.New("spec.backoffLimit: need 0 or more")
	}
	// Indexed pods' hostnames are NAME-INDEX, a DNS label.
	if n := len(j.Name) + 1 + len(fmt.Sprint(*s.Completions-1)); n > validation.DNS1123LabelMaxLength {
		return fmt.Errorf("metadata.name %q: the pods' hostnames (name-index) would be %d characters, more than 63", j.Name, n)
	}
	if errs := validation.IsDNS1123Label(j.Name); len(errs) > 0 {
		return fmt.Errorf("metadata.name %q: an Indexed Job's name must be a DNS label: %s", j.Name, strings.Join(errs, "; "))
	}
	t := s.Template
	if err := checkLabels("spec.template.metadata.labels", t.Labels); err != nil {
		return err
	}
	ps := t.Spec
	if ps.RestartPolicy != corev1.RestartPolicyOnFailure && ps.RestartPolicy != corev1.RestartPolicyNever {
		return fmt.Errorf("spec.template.spec.restartPolicy %q: a Job's pods need OnFailure or Never", ps.RestartPolicy)
	}
	if s.PodFailurePolicy != nil {
		if ps.RestartPolicy != corev1.RestartPolicyNever {
			return errors.New("spec.podFailurePolicy: needs the pod template's restartPolicy Never")
		}
		for i, r := range s.PodFailurePolicy.Rules {
			switch r.Action {
			case batchv1.PodFailurePolicyActionIgnore, batchv1.PodFailurePolicyActionFailJob, batchv1.PodFailurePolicyActionCount, batchv1.PodFailurePolicyActionFailIndex:
			default:
				return fmt.Errorf("spec.podFailurePolicy.rules[%d].action %q: unknown", i, r.Action)
			}
			if (r.OnExitCodes == nil) == (len(r.OnPodConditions) == 0) {
				return fmt.Errorf("spec.podFailurePolicy.rules[%d]: need exactly one of onExitCodes and onPodConditions", i)
			}
			for _, c := range r.OnPodConditions {
				if c.Type == "" || c.Status != "" && c.Status != corev1.ConditionTrue && c.Status != corev1.ConditionFalse && c.Status != corev1.ConditionUnknown {
					return fmt.Errorf("spec.podFailurePolicy.rules[%d].onPodConditions: type %q status %q", i, c.Type, c.Status)
				}
			}
		}
	}
	if ps.TerminationGracePeriodSeconds != nil && *ps.TerminationGracePeriodSeconds < 0 {
		return errors.New("spec.template.spec.terminationGracePeriodSeconds: need 0 or more")
	}
	if len(ps.Containers) == 0 {
		return errors.New("spec.template.spec.containers: need at least one")
	}
	volumes := map[string]bool{}
	for _, v := range ps.Volumes {
		if errs := validation.IsDNS1123Label(v.Name); len(errs) > 0 {
			return fmt.Errorf("volume name %q: %s", v.Name, strings.Join(errs, "; "))
		}
		if volumes[v.Name] {
			return fmt.Errorf("volume %q defined twice", v.Name)
		}
		volumes[v.Name] = true
		sources := 0
		if v.PersistentVolumeClaim != nil {
			sources++
			if errs := validation.IsDNS1123Subdomain(v.PersistentVolumeClaim.ClaimName); len(errs) > 0 {
				return fmt.Errorf("volume %s: claimName %q: %s", v.Name, v.PersistentVolumeClaim.ClaimName, strings.Join(errs, "; "))
			}
		}
		if v.ConfigMap != nil {
			sources++
		}
		if sources != 1 {
			return fmt.Errorf("volume %s: need exactly one source (persistentVolumeClaim or configMap here), has %d", v.Name, sources)
		}
	}
	for _, c := range ps.Containers {
		if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
			return fmt.Errorf("container name %q: %s", c.Name, strings.Join(errs, "; "))
		}
		if strings.TrimSpace(c.Image) == "" {
			return fmt.Errorf("container %s: no image", c.Name)
		}
		if len(c.Command) == 0 {
			return fmt.Errorf("container %s: no command", c.Name)
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				return fmt.Errorf("container %s: volumeMount %q names no volume", c.Name, m.Name)
			}
			if !strings.HasPrefix(m.MountPath, "/") {
				return fmt.Errorf("container %s: mountPath %q: need an absolute path", c.Name, m.MountPath)
			}
		}
		for name, q := range c.Resources.Limits {
			if req, ok := c.Resources.Requests[name]; ok && req.Cmp(q) > 0 {
				return fmt.Errorf("container %s: request of %s (%s) above its limit (%s)", c.Name, name, req.String(), q.String())
			}
		}
	}
	return nil
}

// Schema is, for every type reachable from a ConfigMap and a batch/v1
// Job, its JSON fields and their types as k8s.io/api declares them:
// "string", "integer", "number", "boolean", "quantity" (a string or a
// number), "int-or-string", "time", "object" (any JSON), a type's name, or
// "[]T" and "map[string]T".
func Schema() map[string]any {
	types := map[string]map[string]string{}
	var visit func(t reflect.Type) string
	visit = func(t reflect.Type) string {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t {
		case reflect.TypeFor[resource.Quantity]():
			return "quantity"
		case reflect.TypeFor[intstr.IntOrString]():
			return "int-or-string"
		case reflect.TypeFor[metav1.Time](), reflect.TypeFor[metav1.MicroTime]():
			return "time"
		}
		switch t.Kind() {
		case reflect.String:
			return "string"
		case reflect.Bool:
			return "boolean"
		case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return "integer"
		case reflect.Float32, reflect.Float64:
			return "number"
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 {
				return "string" // []byte: base64
			}
			return "[]" + visit(t.Elem())
		case reflect.Map:
			return "map[string]" + visit(t.Elem())
		case reflect.Interface:
			return "object"
		case reflect.Struct:
			name := t.PkgPath() + "." + t.Name()
			if _, done := types[name]; done {
				return name
			}
			fields := map[string]string{}
			types[name] = fields
			addFields(t, fields, visit)
			return name
		}
		return "object"
	}
	roots := map[string]string{
		"v1 ConfigMap": visit(reflect.TypeFor[corev1.ConfigMap]()),
		"batch/v1 Job": visit(reflect.TypeFor[batchv1.Job]()),
	}
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	return map[string]any{
		"source": "the Go types of k8s.io/api " + apiVersion() + ", by tools/k8scheck schema",
		"kinds":  roots,
		"types":  types,
	}
}

func addFields(t reflect.Type, fields map[string]string, visit func(reflect.Type) string) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addFields(ft, fields, visit)
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = visit(f.Type)
	}
}

// apiVersion is the version of k8s.io/api this binary was built with.
func apiVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "k8s.io/api" {
				return d.Version
			}
		}
	}
	return "(unknown version)"
}
