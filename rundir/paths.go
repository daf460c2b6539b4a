package rundir

import "path/filepath"

// File names inside a run directory (see the package doc and README.md).
const (
	ConfigFile       = "config.json"   // every setting, resolved
	MetricsFile      = "metrics.jsonl" // one Metrics a line per epoch
	AlphasFile       = "alphas.jsonl"  // one Alphas a line per epoch, epoch 0 = initial
	GenotypeJSONFile = "genotype.json" // the derived genotype as JSON
	GenotypeTextFile = "genotype.txt"  // the derived genotype as DARTS Genotype(...) text
	PlotsDir         = "plots"         // figures written by package plots
)

// ConfigPath returns the path of config.json in run directory dir.
func ConfigPath(dir string) string { return filepath.Join(dir, ConfigFile) }

// MetricsPath returns the path of metrics.jsonl in run directory dir.
func MetricsPath(dir string) string { return filepath.Join(dir, MetricsFile) }

// AlphasPath returns the path of alphas.jsonl in run directory dir.
func AlphasPath(dir string) string { return filepath.Join(dir, AlphasFile) }

// GenotypeJSONPath returns the path of genotype.json in run directory dir.
func GenotypeJSONPath(dir string) string { return filepath.Join(dir, GenotypeJSONFile) }

// GenotypeTextPath returns the path of genotype.txt in run directory dir.
func GenotypeTextPath(dir string) string { return filepath.Join(dir, GenotypeTextFile) }

// PlotsPath returns the directory for figures in run directory dir.
func PlotsPath(dir string) string { return filepath.Join(dir, PlotsDir) }
