package method

import (
	"testing"

	"github.com/darts-go/darts/internal/golden"
	"github.com/darts-go/darts/optim"
)

// TestNB201SettingsMatchGoldenSteps: NB201Settings(order) is the protocol
// under which bilevel's TestGoldenNB201Steps reproduces AutoDL-Projects'
// DARTS-V1/V2 steps (testdata/nb201_steps.json.gz records it), every field
// but the batch size, which the file shrinks to a tiny batch.
func TestNB201SettingsMatchGoldenSteps(t *testing.T) {
	g, err := golden.LoadNB201Steps()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		f, s := c.Settings, NB201Settings(c.Order)
		if s.Epochs != f.Epochs || s.LR != f.LR || s.LRMin != f.LRMin || s.Momentum != f.Momentum || s.Nesterov != f.Nesterov ||
			s.WeightDecay != f.WeightDecay || s.GradClip != f.GradClip || s.ClipWithArch != f.ClipWithArch ||
			s.WeightFirst != f.WeightFirst || s.ArchLR != f.ArchLR || s.ArchBeta1 != f.ArchBetas[0] || s.ArchBeta2 != f.ArchBetas[1] ||
			s.ArchWeightDecay != f.ArchWeightDecay || (s.ArchAdam == optim.Adam1) != (f.ArchAdam == "1.x") || s.Order != f.Order ||
			s.Warmup != 0 {
			t.Errorf("%s: NB201Settings(%d) = %+v, the golden steps ran %+v", c.Name, c.Order, s, f)
		}
	}
}
