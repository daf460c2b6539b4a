package job

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/datasets"
	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/kern"
	"github.com/darts-go/darts/method"
	"github.com/darts-go/darts/retrain"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/supernet"
)

// Version is the program version recorded in every config.json.
const Version = "darts-go 0.2"

// KernelPath names the path the float32 kernels of this process take
// (internal/kern: "plain", "avx2", ...), which decides the last bits of
// every result; config.json records it as "kernels".
func KernelPath() string { return kern.Path() }

// noteKernels warns, on resume, when this process's kernel path is not the
// one the run recorded: the run goes on, but its results differ in the
// last bits from an uninterrupted run's.
func noteKernels(recorded string, rep Reporter) {
	if now := KernelPath(); recorded != "" && recorded != now && rep != nil {
		rep.Note("warning: the run was started with the %s kernels and resumes with the %s ones: results differ in the last bits from an uninterrupted run's", recorded, now)
	}
}

// SearchConfig is config.json of a search run: every setting, resolved
// (defaults included), so that the run can be resumed and reproduced from
// it alone. Keys are snake_case throughout.
type SearchConfig struct {
	Program string `json:"program"`
	Kernels string `json:"kernels,omitempty"`
	Command string `json:"command"`
	Method  string `json:"method"`
	// MethodOptions are the method's own settings (package method), its
	// reference values unless overridden.
	MethodOptions method.Options `json:"method_options,omitempty"`
	// Budget names the budget the defaults were scaled to ("quick",
	// "reference"); informational, every setting is recorded resolved.
	Budget   string               `json:"budget,omitempty"`
	Record   bilevel.MethodRecord `json:"method_parts"`
	Data     datasets.Options     `json:"data"`
	DataInfo datasets.Info        `json:"data_info"`
	Network  supernet.Config      `json:"network"`
	Search   bilevel.Settings     `json:"search"`
	Params   int                  `json:"params"`
	Started  string               `json:"started"`
}

// TrainConfig is config.json of a training run (a genotype retrained from
// scratch).
type TrainConfig struct {
	Program   string                  `json:"program"`
	Kernels   string                  `json:"kernels,omitempty"`
	Command   string                  `json:"command"`
	Genotype  derive.Genotype         `json:"genotype"`
	From      string                  `json:"genotype_file"`
	Data      datasets.Options        `json:"data"`
	DataInfo  datasets.Info           `json:"data_info"`
	Network   supernet.DiscreteConfig `json:"network"`
	Train     retrain.TrainSettings   `json:"train"`
	Params    int                     `json:"params"`
	AuxParams int                     `json:"aux_params"`
	Started   string                  `json:"started"`
}

// ReadSearchConfig reads RUN/config.json of a search run.
func ReadSearchConfig(dir string) (SearchConfig, error) {
	var conf SearchConfig
	if err := readConfig(dir, &conf); err != nil {
		return conf, err
	}
	if (conf.Network.Layers == 0 && conf.Network.CellsPerStage == 0) || conf.Search.Epochs == 0 {
		return conf, fmt.Errorf("%s: not the config of a search run (no network or search settings; is it a training run?)", rundir.ConfigPath(dir))
	}
	if conf.Method == "" {
		conf.Method = "darts" // darts-go 0.1
	}
	return conf, nil
}

// ReadTrainConfig reads RUN/config.json of a training run.
func ReadTrainConfig(dir string) (TrainConfig, error) {
	var conf TrainConfig
	if err := readConfig(dir, &conf); err != nil {
		return conf, err
	}
	if (conf.Network.Layers == 0 && conf.Network.CellsPerStage == 0) || len(conf.Network.Genotype.Cells) == 0 {
		return conf, fmt.Errorf("%s: not the config of a training run (no network; is it a search run?)", rundir.ConfigPath(dir))
	}
	return conf, nil
}

func readConfig(dir string, conf any) error {
	path := rundir.ConfigPath(dir)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, conf); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// CheckNewRun refuses to start a run in a directory that holds one.
func CheckNewRun(dir string) error {
	if _, err := os.Stat(rundir.ConfigPath(dir)); err == nil {
		return fmt.Errorf("%s already holds a run; use --resume to continue it or choose another --out", dir)
	}
	return nil
}
