package job

import (
	"encoding/json"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/rundir"
)

// WriteGenotype writes a run's genotype.json and genotype.txt (the DARTS
// Genotype(...) text, the NAS-Bench-201 string or the general JSON, as
// derive.Genotype.String gives it), atomically.
func WriteGenotype(dir string, g derive.Genotype) error {
	js, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	if err := rundir.WriteFileAtomic(rundir.GenotypeJSONPath(dir), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(rundir.GenotypeTextPath(dir), []byte(g.String()+"\n"), 0o644)
}

// ConfigError reports settings that cannot make a run (a network that
// cannot be built, a method that does not exist); for a new run they come
// from the caller's input, for a resumed one from its config.json.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// OptionError reports options of the call that cannot be honoured (an
// --epochs that would shorten a resumed run): the caller's mistake whether
// the run is new or resumed.
type OptionError struct{ Err error }

func (e *OptionError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *OptionError) Unwrap() error { return e.Err }
