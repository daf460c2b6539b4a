package method

import (
	"fmt"

	"github.com/darts-go/darts/bilevel"
	"github.com/darts-go/darts/perturb"
	"github.com/darts-go/darts/space"
)

// The names of SDARTS's two forms (Chen & Hsieh, ICML 2020).
const (
	SDARTSRS  = "sdarts-rs"
	SDARTSADV = "sdarts-adv"
)

const sdartsDoc = `SDARTS (Chen, Hsieh, ICML 2020; xiangning-chen/SmoothDARTS @ d3dbfed,
sota/cnn/train_search.py, sota/cnn/model_search.py, nasbench201/train_search.py,
attacker/perturb.py, attacker/linf_sgd.py). What it changes against first-order
DARTS: after the architecture step, the weight step trains under edge weights
p̃ near p = softmax(α) and uses them as they are (no softmax); every other pass
(architecture step, evaluation, alphas.jsonl, derivation) sees p. ε grows
linearly, ε_e = epsilon_min + (epsilon − epsilon_min)·e/epochs (0.03 → 0.3).
%s
Spaces: the DARTS space is the repository's s5, DARTS's ops without 'none'
(its spaces.py comments 'none' out); the default --search_space s1 of the
script is RobustDARTS's reduced space, not built here. NAS-Bench-201:
nasbench201/train_search.py, 100 epochs, plain momentum, weight decay 3e-4,
search cells tracking BatchNorm statistics, argmax derivation.

Differences: on NAS-Bench-201 the reference's clip_grad_norm_ over
model.parameters() also counts the weight step's gradient with respect to p̃
(α is an nn.Parameter there); the clip here counts the weights only. It ran
PyTorch ≥ 1.2, whose scheduler trains epoch e at the cosine rate of e+1; here
epoch e trains at the rate of e. Its draws come from torch's generator; here
from (seed, epoch, step, tensor).`

func init() {
	Register(Spec{
		Name:    SDARTSRS,
		Summary: "DARTS whose weight step trains under softmax(α) perturbed uniformly within ε (random smoothing)",
		Doc: fmt.Sprintf(sdartsDoc, `
SDARTS-RS (--perturb_alpha random, Random_alpha): p̃ = clip(p + δ), δ drawn
uniformly in [−ε, ε] for every entry and step; clip maps each row back onto the
simplex (clamp to [0, 1], the row's argmax set to 1 if nothing is left, divide
by the sum).
`),
		Spaces: []string{space.DARTSName, space.NB201Name},
		Options: []Option{
			{Name: "epsilon", Usage: "ε of the last epoch (epsilon_alpha)", Kind: Float},
			{Name: "epsilon_min", Usage: "ε of the first epoch", Kind: Float},
		},
		Reference: func(q Query) (Recipe, error) { return sdartsReference(q, false) },
		Build:     func(r Recipe) (bilevel.Method[float32], error) { return buildSDARTS(r, false) },
	})
	Register(Spec{
		Name:    SDARTSADV,
		Summary: "DARTS whose weight step trains under softmax(α) attacked by PGD within an L∞ ball of radius ε",
		Doc: fmt.Sprintf(sdartsDoc, `
SDARTS-ADV (--perturb_alpha pgd_linf, Linf_PGD_alpha): with BatchNorm on its
running statistics, the training batch's loss L0 at p, a random start
clip(p + U[−ε, ε]), attack_steps (7) steps p̃ ← clip(p + clamp(p̃ + (2ε/7)·
sign(∂L/∂p̃) − p, −ε, ε)), the loss L1 at p̃, and p̃ = p if L0 > L1. Each step
costs 7 extra forward and backward passes (without weight gradients) and 2
forward passes.
`),
		Spaces: []string{space.DARTSName, space.NB201Name},
		Options: []Option{
			{Name: "epsilon", Usage: "ε of the last epoch (epsilon_alpha)", Kind: Float},
			{Name: "epsilon_min", Usage: "ε of the first epoch", Kind: Float},
			{Name: "attack_steps", Usage: "PGD steps of the attack", Kind: Int},
		},
		Reference: func(q Query) (Recipe, error) { return sdartsReference(q, true) },
		Build:     func(r Recipe) (bilevel.Method[float32], error) { return buildSDARTS(r, true) },
	})
}

func sdartsReference(q Query, adv bool) (Recipe, error) {
	o := Options{"epsilon": 0.3, "epsilon_min": 0.03}
	if adv {
		o["attack_steps"] = 7
	}
	switch q.Space {
	case space.DARTSName:
		return Recipe{
			Source:  "xiangning-chen/SmoothDARTS sota/cnn/train_search.py --search_space s5, attacker/perturb.py",
			Network: sdartsNetwork(q.Space), Search: sdartsSettings(50), Options: o,
		}, nil
	case space.NB201Name:
		return Recipe{
			Source:  "xiangning-chen/SmoothDARTS nasbench201/train_search.py, attacker/perturb.py",
			Network: sdartsNetwork(q.Space), Search: sdartsSettings(100), Options: o,
		}, nil
	}
	return Recipe{}, fmt.Errorf("sdarts: no recipe for space %q", q.Space)
}

func buildSDARTS(r Recipe, adv bool) (bilevel.Method[float32], error) {
	mode, name, steps := perturb.Random, SDARTSRS, 0
	if adv {
		mode, name, steps = perturb.Adversarial, SDARTSADV, int(option(r.Options, "attack_steps", 7))
	}
	rel, err := perturb.New[float32](mode, option(r.Options, "epsilon", 0.3), option(r.Options, "epsilon_min", 0.03), steps)
	if err != nil {
		return bilevel.Method[float32]{}, err
	}
	return bilevel.Method[float32]{Name: name, Relax: rel}, nil
}
