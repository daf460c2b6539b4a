package projection

import (
	"encoding/json"
	"testing"

	"github.com/darts-go/darts/space"
)

// FuzzReplay: decisions read back from a selection file, whatever they
// hold, are replayed or refused with an error, never a panic.
func FuzzReplay(f *testing.F) {
	f.Add([]byte(`[{"round":0,"cell":"normal","kind":"op","edge":3,"op":"skip_connect","node":-1}]`))
	f.Add([]byte(`[{"round":14,"cell":"reduce","kind":"edge","edge":-1,"node":2,"kept":[5,99]}]`))
	f.Add([]byte(`[{"cell":"normal","kind":"op","edge":14,"op":"none"},{"cell":"x","kind":"edge"}]`))
	f.Add([]byte(`[{"cell":"normal","kind":"edge","node":-3}]`))
	sp := space.DARTS(4, 4, space.DARTSOps)
	f.Fuzz(func(t *testing.T, b []byte) {
		var ds []Decision
		if json.Unmarshal(b, &ds) != nil {
			return
		}
		p := NewProjection(sp)
		if err := p.Replay(ds); err != nil {
			return
		}
		w := make([][]float64, 14)
		for e := range w {
			w[e] = make([]float64, len(sp.Ops))
		}
		for _, tn := range sp.Tensors() {
			if got := p.apply(tn.Name, w, nil); len(got) != 14 {
				t.Fatalf("%d rows", len(got))
			}
		}
	})
}
