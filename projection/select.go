package projection

import (
	"context"
	"errors"
	"fmt"

	"github.com/darts-go/darts/derive"
	"github.com/darts-go/darts/internal/rng"
	"github.com/darts-go/darts/space"
)

// Criteria of a decision (darts-pt's --proj_crit_normal/_reduce/_edge).
const (
	// CritAcc picks the op whose removal leaves the lowest search-val
	// accuracy, and drops the edge whose removal leaves the highest.
	CritAcc = "acc"
	// CritLoss picks the op whose removal leaves the highest search-val
	// loss, and drops the edge whose removal leaves the lowest.
	CritLoss = "loss"
)

// DefaultInterval is darts-pt's --proj_intv in exp_scripts/darts-proj-sota.sh.
const DefaultInterval = 5

// Options are the settings of a selection.
type Options struct {
	// Interval is the number of tuning epochs between two decisions
	// (--proj_intv, 5); 0 makes every decision in a row, with no tuning.
	Interval int `json:"interval"`
	// Criterion is CritAcc (the reference's default) or CritLoss.
	Criterion string `json:"criterion"`
	// Seed keys the order in which edges and nodes are visited
	// (--edge_decision random) and the tuning's data order.
	Seed uint64 `json:"seed"`
}

// Validate names the first unusable option.
func (o Options) Validate() error {
	if o.Interval < 0 {
		return fmt.Errorf("interval %d: need 0 (no tuning) or more epochs", o.Interval)
	}
	if o.Criterion != CritAcc && o.Criterion != CritLoss {
		return fmt.Errorf("criterion %q: want %q or %q", o.Criterion, CritAcc, CritLoss)
	}
	return nil
}

// Probe is one removal a decision evaluated, with what search-val gave.
type Probe struct {
	Edge int     `json:"edge"`         // the edge
	Op   string  `json:"op,omitempty"` // the op removed; empty: the whole edge
	Acc  float64 `json:"acc"`
	Loss float64 `json:"loss"`
}

// Decision is one decision of the selection on one cell type: an op
// decision fixes edge Edge to op Op; a topology decision keeps edges Kept
// of node Node and drops its others.
type Decision struct {
	Round  int     `json:"round"` // from 0
	Epoch  int     `json:"epoch"` // the tuning epoch at whose start it was made
	Cell   string  `json:"cell"`
	Kind   string  `json:"kind"` // "op" or "edge"
	Edge   int     `json:"edge"` // -1 for a topology decision
	Op     string  `json:"op,omitempty"`
	Node   int     `json:"node"` // -1 for an op decision
	Kept   []int   `json:"kept,omitempty"`
	Probes []Probe `json:"probes"`
}

// Tuner is the supernet a selection decides on.
type Tuner interface {
	// Alphas returns the current architecture tensors by tensor name
	// (rows = edges, columns = ops).
	Alphas() map[string][][]float64
	// Evaluate returns the search-val accuracy and mean loss of the
	// supernet with the edge weights w (by tensor name: the projection's
	// weights, the removal being probed applied) for decision round round.
	Evaluate(ctx context.Context, round int, w map[string][][]float64) (acc, loss float64, err error)
	// TuneEpoch trains the supernet (weights and alphas) for tuning epoch
	// ep with the projection's weights.
	TuneEpoch(ctx context.Context, ep int) error
}

// Selector is DARTS-PT's selection in progress (ruocwang/darts-pt
// sota/cnn/projection.py pt_project): rounds of decisions at tuning
// epochs 0, Interval, 2·Interval, ...: first one op decision per cell type
// a round until every edge has its op, then one topology decision per cell
// type a round until every node with more than two inputs keeps two. The
// tuning runs Interval·(rounds-1)+1 epochs (81 on the DARTS space).
type Selector struct {
	Space space.Space
	// Weights turns a tensor's alphas into its edge weights (the base
	// relaxation's deterministic weights: softmax for DARTS).
	Weights func(t space.Tensor, alpha [][]float64) [][]float64
	Opts    Options
	Proj    *Projection
	// Order picks the edge or node to decide among n candidates (in
	// increasing order) for round and cell type c; nil: uniformly at random,
	// keyed by (Opts.Seed, round, c).
	Order func(round, c, n int) int

	Round     int // rounds done
	Epoch     int // tuning epochs done
	Decisions []Decision
}

// tagPT keys the selection's visiting order.
const tagPT uint64 = 0x647274732d707421 // "drts-pt!"

// NewSelector starts a selection on sp (every cell type with the same
// number of edges and of nodes to prune, as DARTS's normal and reduce
// cells).
func NewSelector(sp space.Space, weights func(space.Tensor, [][]float64) [][]float64, o Options) (*Selector, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(sp.Cells) == 0 {
		return nil, errors.New("the space has no cell types")
	}
	e, n := len(sp.Cells[0].Cell.Edges), len(pruned(sp.Cells[0].Cell))
	for _, ct := range sp.Cells[1:] {
		if len(ct.Cell.Edges) != e || len(pruned(ct.Cell)) != n {
			return nil, fmt.Errorf("cell types %q and %q differ in edges or nodes: the selection decides them in step", sp.Cells[0].Name, ct.Name)
		}
	}
	return &Selector{Space: sp, Weights: weights, Opts: o, Proj: NewProjection(sp)}, nil
}

// pruned lists the nodes of c with more than two incoming edges, which
// topology decisions prune to two, with their edges (nid2eids).
func pruned(c space.Cell) [][]int {
	in := make([][]int, c.Nodes)
	for e, ed := range c.Edges {
		in[ed.Node] = append(in[ed.Node], e)
	}
	var out [][]int
	for _, es := range in {
		if len(es) > 2 {
			out = append(out, es)
		}
	}
	return out
}

// OpRounds and EdgeRounds count the rounds of each kind.
func (s *Selector) OpRounds() int { return len(s.Space.Cells[0].Cell.Edges) }

// EdgeRounds counts the topology rounds.
func (s *Selector) EdgeRounds() int { return len(pruned(s.Space.Cells[0].Cell)) }

// TuneEpochs is the number of tuning epochs: Interval·(rounds-1)+1, as
// pt_project's tune_epochs = proj_intv·num_projs + 1; 0 without tuning.
func (s *Selector) TuneEpochs() int {
	if s.Opts.Interval == 0 {
		return 0
	}
	return s.Opts.Interval*(s.OpRounds()+s.EdgeRounds()-1) + 1
}

// Done reports whether every round and tuning epoch has run.
func (s *Selector) Done() bool {
	return s.Round >= s.OpRounds()+s.EdgeRounds() && s.Epoch >= s.TuneEpochs()
}

// Step takes the next step: the round due at this epoch, or else the
// tuning epoch. It changes nothing if it fails or ctx is cancelled during
// a round (the tuner may be half-way through an epoch then).
func (s *Selector) Step(ctx context.Context, t Tuner) error {
	if s.Done() {
		return errors.New("the selection is finished")
	}
	if s.Round < s.OpRounds()+s.EdgeRounds() && s.Round*s.Opts.Interval == s.Epoch {
		ds, err := s.round(ctx, t)
		if err != nil {
			return err
		}
		for _, d := range ds {
			s.Proj.commit(d)
		}
		s.Decisions = append(s.Decisions, ds...)
		s.Round++
		return nil
	}
	if err := t.TuneEpoch(ctx, s.Epoch); err != nil {
		return err
	}
	s.Epoch++
	return nil
}

// Run steps until the selection is done, calling after (if not nil) after
// every step.
func (s *Selector) Run(ctx context.Context, t Tuner, after func() error) error {
	for !s.Done() {
		if err := s.Step(ctx, t); err != nil {
			return err
		}
		if after != nil {
			if err := after(); err != nil {
				return err
			}
		}
	}
	return nil
}

// pick is the visiting order's choice among n candidates.
func (s *Selector) pick(c, n int) int {
	if s.Order != nil {
		i := s.Order(s.Round, c, n)
		if i < 0 || i >= n {
			panic(fmt.Sprintf("projection: Order gave %d of %d", i, n))
		}
		return i
	}
	return rng.New(rng.Key(tagPT, s.Opts.Seed, uint64(s.Round), uint64(c))).Intn(n)
}

// weights are the projection's edge weights of every tensor at the
// current alphas, probe pr applied.
func (s *Selector) weights(alphas map[string][][]float64, pr *probe) map[string][][]float64 {
	w := map[string][][]float64{}
	for _, t := range s.Space.Tensors() {
		a, ok := alphas[t.Name]
		if !ok {
			continue
		}
		w[t.Name] = s.Proj.apply(t.Name, s.Weights(t, a), pr)
	}
	return w
}

// evaluate probes one removal.
func (s *Selector) evaluate(ctx context.Context, t Tuner, pr *probe) (acc, loss float64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	s.Proj.probe = pr
	defer func() { s.Proj.probe = nil }()
	return t.Evaluate(ctx, s.Round, s.weights(t.Alphas(), pr))
}

// round makes the decisions of round s.Round, one per cell type, each
// seeing the ones before it (pt_project decides normal, projects it, then
// decides reduce).
func (s *Selector) round(ctx context.Context, t Tuner) ([]Decision, error) {
	var ds []Decision
	saved := s.Proj.State.clone()
	defer func() { s.Proj.State = saved }() // Step commits them
	for c, ct := range s.Space.Cells {
		var d Decision
		var err error
		if s.Round < s.OpRounds() {
			d, err = s.decideOp(ctx, t, c, ct)
		} else {
			d, err = s.decideEdge(ctx, t, c, ct)
		}
		if err != nil {
			return nil, err
		}
		s.Proj.commit(d)
		ds = append(ds, d)
	}
	return ds, nil
}

// decideOp is project_op: a random undecided edge, and on it the op whose
// removal hurts most (the first one on ties).
func (s *Selector) decideOp(ctx context.Context, t Tuner, c int, ct space.CellType) (Decision, error) {
	var remain []int
	for e, op := range s.Proj.State.Op[ct.Name] {
		if op < 0 {
			remain = append(remain, e)
		}
	}
	e := remain[s.pick(c, len(remain))]
	d := Decision{Round: s.Round, Epoch: s.Epoch, Cell: ct.Name, Kind: "op", Edge: e, Node: -1}
	best, bestCrit := 0, 0.0
	for k, op := range s.Space.Ops {
		acc, loss, err := s.evaluate(ctx, t, &probe{Tensor: ct.Name, Edge: e, Op: k})
		if err != nil {
			return Decision{}, err
		}
		d.Probes = append(d.Probes, Probe{Edge: e, Op: op, Acc: acc, Loss: loss})
		crit := acc
		if s.Opts.Criterion == CritLoss {
			crit = -loss
		}
		if k == 0 || crit < bestCrit {
			best, bestCrit = k, crit
		}
	}
	d.Op = s.Space.Ops[best]
	return d, nil
}

// decideEdge is project_edge: a random node not yet pruned, and while it
// has more than two edges, the removal of the edge whose removal hurts
// least (the last one on ties, as its `not compare` gives); edges removed
// earlier in the loop stay in the network until the node is decided.
func (s *Selector) decideEdge(ctx context.Context, t Tuner, c int, ct space.CellType) (Decision, error) {
	nodes := pruned(ct.Cell)
	var remain []int
	for i, es := range nodes {
		if !s.Proj.State.NodeDone[ct.Name][ct.Cell.Edges[es[0]].Node] {
			remain = append(remain, i)
		}
	}
	es := append([]int(nil), nodes[remain[s.pick(c, len(remain))]]...)
	d := Decision{Round: s.Round, Epoch: s.Epoch, Cell: ct.Name, Kind: "edge", Edge: -1, Node: ct.Cell.Edges[es[0]].Node}
	for len(es) > 2 {
		del, delCrit := -1, 0.0
		for i, e := range es {
			acc, loss, err := s.evaluate(ctx, t, &probe{Tensor: ct.Name, Edge: e, Op: -1})
			if err != nil {
				return Decision{}, err
			}
			d.Probes = append(d.Probes, Probe{Edge: e, Acc: acc, Loss: loss})
			crit := acc
			if s.Opts.Criterion == CritLoss {
				crit = -loss
			}
			if i == 0 || crit >= delCrit {
				del, delCrit = i, crit
			}
		}
		es = append(es[:del], es[del+1:]...)
	}
	d.Kept = es
	return d, nil
}

// Genotype is the DARTS parser (rule) on the projection's weights at the
// current alphas: one-hot rows on decided edges, zero rows on dropped ones.
func (s *Selector) Genotype(alphas map[string][][]float64, rule derive.Rule) (derive.Genotype, error) {
	return derive.Derive(s.Space, rule, s.weights(alphas, nil))
}
