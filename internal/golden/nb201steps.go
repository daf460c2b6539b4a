package golden

import (
	"fmt"
)

// The NAS-Bench-201 search-step golden vectors of
// testdata/nb201_steps.json.gz (tools/golden/gen_nb201_steps.py; the file's
// "about" has the details): two consecutive iterations of AutoDL-Projects'
// DARTS-V1 and DARTS-V2 search_func on a tiny TinyNetworkDarts, with the
// search cells' BatchNorm tracking running statistics or not.

// NB201Settings are the hyperparameters a case ran with, as the scripts
// and configs/nas-benchmark/algos/DARTS.config set them.
type NB201Settings struct {
	Epochs          int        `json:"epochs"`
	Epoch           int        `json:"epoch"`
	BatchSize       int        `json:"batch_size"`
	LR              float64    `json:"lr"`
	LRMin           float64    `json:"lr_min"`
	Momentum        float64    `json:"momentum"`
	Nesterov        bool       `json:"nesterov"`
	WeightDecay     float64    `json:"weight_decay"`
	GradClip        float64    `json:"grad_clip"`
	ClipWithArch    bool       `json:"clip_with_arch"`
	WeightFirst     bool       `json:"weight_first"`
	ArchLR          float64    `json:"arch_lr"`
	ArchBetas       [2]float64 `json:"arch_betas"`
	ArchEps         float64    `json:"arch_eps"`
	ArchWeightDecay float64    `json:"arch_weight_decay"`
	ArchAdam        string     `json:"arch_adam"`
	Order           int        `json:"order"`
	HessianR        float64    `json:"hessian_r"`
}

// NB201Config is the network of a case (supernet.Config-like).
type NB201Config struct {
	InputC        int      `json:"input_c"`
	InputH        int      `json:"input_h"`
	InputW        int      `json:"input_w"`
	Classes       int      `json:"classes"`
	C             int      `json:"init_channels"`
	CellsPerStage int      `json:"cells_per_stage"`
	Primitives    []string `json:"primitives"`
	NoTrackStats  bool     `json:"no_track_running_stats"`
}

// NB201Step is one iteration of search_func.
type NB201Step struct {
	TrainInput  Raw      `json:"train_input"`
	TrainTarget []int    `json:"train_target"`
	ValInput    Raw      `json:"val_input"`
	ValTarget   []int    `json:"val_target"`
	LR          float64  `json:"lr"`
	Phases      []string `json:"phases"`
	Arch        struct {
		Grad           []Raw   `json:"grad"`
		ValLoss        float64 `json:"val_loss"`
		AlphasAfter    []Raw   `json:"alphas_after"`
		AdamExpAvg     []Raw   `json:"adam_exp_avg"`
		AdamExpAvgSq   []Raw   `json:"adam_exp_avg_sq"`
		AdamStep       int     `json:"adam_step"`
		BuffersAfter   []Raw   `json:"buffers_after"`
		TrainLossAtW   float64 `json:"train_loss_at_w"`
		MomentumUsed   bool    `json:"momentum_used"`
		DalphaUnrolled []Raw   `json:"dalpha_unrolled"`
		R              float64 `json:"R"`
		ImplicitGrads  []Raw   `json:"implicit_grads"`
	} `json:"arch"`
	Weights struct {
		TrainLoss         float64 `json:"train_loss"`
		ArchGradBefore    []Raw   `json:"arch_grad_before"`
		ArchGradUnclipped []Raw   `json:"arch_grad_unclipped"`
		GradNorm          float64 `json:"grad_norm"`
		ClipCoef          float64 `json:"clip_coef"`
		Clipped           bool    `json:"clipped"`
		Grads             []Raw   `json:"grads"`
		ArchGradClipped   []Raw   `json:"arch_grad_clipped"`
		ParamsAfter       []Raw   `json:"params_after"`
		MomentumBuffers   []Raw   `json:"momentum_buffers"`
		BuffersAfter      []Raw   `json:"buffers_after"`
	} `json:"weights"`
}

// NB201StepCase is one script at one BatchNorm setting.
type NB201StepCase struct {
	Name              string        `json:"name"`
	Script            string        `json:"script"`
	Order             int           `json:"order"`
	TrackRunningStats bool          `json:"track_running_stats"`
	Config            NB201Config   `json:"config"`
	Settings          NB201Settings `json:"settings"`
	Params            []Raw         `json:"params"`
	Buffers           []Raw         `json:"buffers"`
	Alphas            []Raw         `json:"alphas"`
	Steps             []NB201Step   `json:"steps"`
}

// NB201Steps is the whole file.
type NB201Steps struct {
	Path  string
	About string          `json:"about"`
	Cases []NB201StepCase `json:"cases"`
}

// NB201StepsPath is $DARTS_GOLDEN_NB201_STEPS if set, else the repository's
// testdata/nb201_steps.json.gz.
func NB201StepsPath() string { return envOr("DARTS_GOLDEN_NB201_STEPS", "nb201_steps.json.gz") }

// LoadNB201Steps reads the NAS-Bench-201 step file (gzipped JSON) and checks
// that it holds the four cases, DARTS-V1 and DARTS-V2 at both BatchNorm
// settings, of at least one step each.
func LoadNB201Steps() (*NB201Steps, error) {
	p := NB201StepsPath()
	n := &NB201Steps{Path: p}
	if err := decodeGzipJSON(p, n); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, c := range n.Cases {
		if len(c.Steps) == 0 {
			return nil, fmt.Errorf("golden: %s: case %s has no steps", p, c.Name)
		}
		seen[fmt.Sprintf("%s/%v", c.Script, c.TrackRunningStats)] = true
	}
	for _, want := range []string{"DARTS-V1/true", "DARTS-V1/false", "DARTS-V2/true", "DARTS-V2/false"} {
		if !seen[want] {
			return nil, fmt.Errorf("golden: %s: no %s case (want DARTS-V1 and DARTS-V2 with and without running statistics)", p, want)
		}
	}
	return n, nil
}
