package supernet

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuxSkipSchedule holds AuxSkip.Coef to DARTS-'s own DecayScheduler
// stepped once per epoch (testdata/pc_dartsminus_ref.json, made by
// tools/golden/gen_pc_dartsminus.py from the reference's src/utils.py):
// every decay type, start, stop and max epochs, before, during and after
// the decay. The reference's flags give stop and max explicitly; here 0
// means the run's epochs, checked on the cases where they equal it.
func TestAuxSkipSchedule(t *testing.T) {
	var ref struct {
		Cases []struct {
			Beta   float64
			Decay  string
			StartE int `json:"start_epoch"`
			StopE  int `json:"stop_epoch"`
			MaxE   int `json:"max_epoch"`
			Epochs int
			Betas  []float64
		} `json:"dartsminus_decay"`
	}
	b, err := os.ReadFile(filepath.Join("..", "testdata", "pc_dartsminus_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) < 8 {
		t.Fatalf("%d schedule cases", len(ref.Cases))
	}
	for _, c := range ref.Cases {
		a := AuxSkip{Beta: c.Beta, Decay: c.Decay, Start: c.StartE, Stop: c.StopE, Max: c.MaxE}
		if err := a.Validate(c.Epochs); err != nil {
			t.Errorf("%+v: %v", a, err)
		}
		runLength := a
		if c.StopE == c.Epochs {
			runLength.Stop = 0
		}
		if c.MaxE == c.Epochs {
			runLength.Max = 0
		}
		for e, want := range c.Betas {
			for _, s := range []AuxSkip{a, runLength} {
				if got := s.Coef(e, c.Epochs); math.Abs(got-want) > 1e-14 {
					t.Errorf("%+v: epoch %d of %d: β %.17g, reference %.17g", s, e, c.Epochs, got, want)
				}
			}
		}
	}
	for _, bad := range []struct {
		a    AuxSkip
		want string
	}{
		{AuxSkip{Beta: 1, Decay: "exponential"}, "unknown"},
		{AuxSkip{Beta: math.NaN()}, "finite"},
		{AuxSkip{Beta: 1, Decay: DecayLinear, Start: 6}, "after the start"},
		{AuxSkip{Beta: 1, Decay: DecayLinear, Stop: -1}, "0 or more"},
	} {
		if err := bad.a.Validate(6); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want an error mentioning %q", bad.a, err, bad.want)
		}
	}
}
