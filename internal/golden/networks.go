package golden

import (
	"encoding/json"
	"fmt"
)

// The whole-network golden vectors of testdata/darts_networks.json.gz
// (tools/golden/gen_networks.py; the file's "about" has the details): the
// evaluation network of a genotype in training and eval mode, and two whole
// steps of a search, first and second order, computed with PyTorch from
// the original DARTS code's definitions.

// Raw is a tensor as the network file stores it (the name is optional).
type Raw struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// EvalNetworkCase is the case of kind eval_network.
type EvalNetworkCase struct {
	Name    string          `json:"name"`
	Config  json.RawMessage `json:"config"`
	Input   Raw             `json:"input"`
	Target  []int           `json:"target"`
	Params  []Raw           `json:"params"`
	Buffers []Raw           `json:"buffers"`
	Train   struct {
		Logits       Raw     `json:"logits"`
		LogitsAux    Raw     `json:"logits_aux"`
		LossMain     float64 `json:"loss_main"`
		LossAux      float64 `json:"loss_aux"`
		Loss         float64 `json:"loss"`
		Grads        []Raw   `json:"grads"`
		BuffersAfter []Raw   `json:"buffers_after"`
	} `json:"train"`
	Eval struct {
		Logits Raw     `json:"logits"`
		Loss   float64 `json:"loss"`
	} `json:"eval"`
	EvalAfterTrain struct {
		Logits Raw `json:"logits"`
	} `json:"eval_after_train"`
}

// SearchStep is one iteration of train_search.py's loop in a search_step
// case.
type SearchStep struct {
	TrainInput  Raw     `json:"train_input"`
	TrainTarget []int   `json:"train_target"`
	ValInput    Raw     `json:"val_input"`
	ValTarget   []int   `json:"val_target"`
	Eta         float64 `json:"eta"`
	LR          float64 `json:"lr"`
	Arch        struct {
		ValLoss        float64 `json:"val_loss"`
		Grad           []Raw   `json:"grad"`
		AlphasAfter    []Raw   `json:"alphas_after"`
		AdamExpAvg     []Raw   `json:"adam_exp_avg"`
		AdamExpAvgSq   []Raw   `json:"adam_exp_avg_sq"`
		AdamStep       int     `json:"adam_step"`
		TrainLossAtW   float64 `json:"train_loss_at_w"`
		DalphaUnrolled []Raw   `json:"dalpha_unrolled"`
		R              float64 `json:"R"`
		MomentumUsed   bool    `json:"momentum_used"`
	} `json:"arch"`
	BuffersAfterArch []Raw `json:"buffers_after_arch"`
	Weights          struct {
		TrainLoss   float64 `json:"train_loss"`
		Logits      Raw     `json:"logits"`
		GradNorm    float64 `json:"grad_norm"`
		Clipped     bool    `json:"clipped"`
		Grads       []Raw   `json:"grads"`
		ParamsAfter []Raw   `json:"params_after"`
	} `json:"weights"`
	BuffersAfter []Raw `json:"buffers_after"`
}

// SearchStepCase is a case of kind search_step.
type SearchStepCase struct {
	Name     string          `json:"name"`
	Order    int             `json:"order"`
	Config   json.RawMessage `json:"config"`
	Settings json.RawMessage `json:"settings"`
	Params   []Raw           `json:"params"`
	Buffers  []Raw           `json:"buffers"`
	Alphas   []Raw           `json:"alphas"`
	Steps    []SearchStep    `json:"steps"`
}

// Networks is the whole network file.
type Networks struct {
	Path        string
	EvalNetwork EvalNetworkCase
	SearchSteps []SearchStepCase
}

// NetworksPath is $DARTS_GOLDEN_NETWORKS if set, else the repository's
// testdata/darts_networks.json.gz.
func NetworksPath() string { return envOr("DARTS_GOLDEN_NETWORKS", "darts_networks.json.gz") }

// LoadNetworks reads the network file (gzipped JSON).
func LoadNetworks() (*Networks, error) {
	p := NetworksPath()
	var raw struct {
		Cases []json.RawMessage `json:"cases"`
	}
	if err := decodeGzipJSON(p, &raw); err != nil {
		return nil, err
	}
	n := &Networks{Path: p}
	for _, c := range raw.Cases {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(c, &head); err != nil {
			return nil, fmt.Errorf("golden: %s: %w", p, err)
		}
		switch head.Kind {
		case "eval_network":
			if err := json.Unmarshal(c, &n.EvalNetwork); err != nil {
				return nil, fmt.Errorf("golden: %s: %w", p, err)
			}
		case "search_step":
			var s SearchStepCase
			if err := json.Unmarshal(c, &s); err != nil {
				return nil, fmt.Errorf("golden: %s: %w", p, err)
			}
			n.SearchSteps = append(n.SearchSteps, s)
		}
	}
	if n.EvalNetwork.Name == "" || len(n.SearchSteps) != 2 {
		return nil, fmt.Errorf("golden: %s: want an eval_network case and two search_step cases", p)
	}
	return n, nil
}

// ByName indexes tensors by name.
func ByName(ts []Raw) map[string]Raw {
	m := make(map[string]Raw, len(ts))
	for _, t := range ts {
		m[t.Name] = t
	}
	return m
}
