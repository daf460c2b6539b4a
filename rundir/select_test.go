package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCandidatesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := []Candidate{
		{N: 1, Strategy: "grid", Genotype: "|none~0|", Decisions: []int{0, 1}, Score: 0.25, Loss: 1.5, Seconds: 0.1, Best: 0.25},
		{N: 2, Strategy: "grid", Genotype: "|skip_connect~0|", Decisions: []int{1, 0}, Score: 0.125, Loss: 2, Cached: true, Best: 0.25},
	}
	for _, c := range want {
		if err := AppendJSONLine(SelectPath(dir), c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadCandidates(SelectPath(dir))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read %+v, %v; want %+v", got, err, want)
	}
	f, _ := os.OpenFile(SelectPath(dir), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"n":3,"deci`)
	f.Close()
	got, err = ReadCandidates(SelectPath(dir))
	var te *TruncatedError
	if !errors.As(err, &te) || len(got) != 2 {
		t.Errorf("torn last line: %d candidates, %v", len(got), err)
	}
	for _, bad := range []string{
		`{"n":2,"decisions":[1]}` + "\n",                                    // starts at 2
		`{"n":1,"decisions":[1]}` + "\n" + `{"n":1,"decisions":[1]}` + "\n", // repeats
		`{"n":1}` + "\n" + `{"n":2,"decisions":[1]}` + "\n",                 // no decisions
	} {
		if _, err := DecodeCandidates(strings.NewReader(bad), "x"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if DefaultSelectDir("r", "grid") != filepath.Join("r", "select", "grid") {
		t.Error(DefaultSelectDir("r", "grid"))
	}
	if err := os.MkdirAll(filepath.Join(dir, "select", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(SelectPath(filepath.Join(dir, "select", "a")), []byte(`{"n":1,"decisions":[0]}`+"\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "select", "empty"), 0o755)
	if got := SelectRuns(dir); !reflect.DeepEqual(got, []string{filepath.Join(dir, "select", "a")}) {
		t.Errorf("SelectRuns = %q", got)
	}
}

func FuzzDecodeCandidates(f *testing.F) {
	f.Add([]byte(`{"n":1,"strategy":"random","genotype":"g","decisions":[0,3],"score":0.5,"loss":1,"seconds":0.2,"best":0.5}` + "\n"))
	f.Add([]byte(`{"n":1,"decisions":[1]}` + "\n" + `{"n":2,"deci`))
	f.Add([]byte("\n{}\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		cs, err := DecodeCandidates(bytes.NewReader(in), "fuzz")
		var te *TruncatedError
		if err != nil && !errors.As(err, &te) {
			return
		}
		var buf bytes.Buffer
		for _, c := range cs {
			b, _ := json.Marshal(c)
			buf.Write(append(b, '\n'))
		}
		back, err := DecodeCandidates(&buf, "again")
		if err != nil || !reflect.DeepEqual(back, cs) {
			t.Fatalf("re-decode: %+v, %v; want %+v", back, err, cs)
		}
	})
}
