package main

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/darts-go/darts/export/tensorboard"
	"github.com/darts-go/darts/job"
	"github.com/darts-go/darts/plots"
	"github.com/darts-go/darts/rundir"
	"github.com/darts-go/darts/space"
)

// TensorBoardDir is where --tensorboard writes, below the run directory.
const TensorBoardDir = "tb"

const tensorboardUsage = "write TensorBoard event files to RUN/" + TensorBoardDir + " after every epoch (view with: tensorboard --logdir RUN/" + TensorBoardDir + ")"

// tbLog writes a run's epochs to a TensorBoard event file in RUN/tb,
// created at the first epoch (so that a run that fails to start leaves
// none). Every value is keyed by the epoch (1, 2, ...) as its step. Write
// errors are warnings: the run goes on without its log.
type tbLog struct {
	dir    string // the run directory
	warn   io.Writer
	w      *tensorboard.Writer
	broken bool
	cells  bool // the cell diagrams of a training run are written
}

// tensorboardHook returns the OnEpoch hook of a search ("search") or a
// training ("train") run in dir, and the function that closes the log;
// both do nothing unless enabled.
func tensorboardHook(enabled bool, dir, kind string, warn io.Writer) (hook func(job.Epoch), closeLog func()) {
	if !enabled {
		return nil, func() {}
	}
	l := &tbLog{dir: dir, warn: warn}
	if kind == "search" {
		hook = l.searchEpoch
	} else {
		hook = l.trainEpoch
	}
	return hook, l.close
}

func (l *tbLog) fail(err error) {
	if err != nil && !l.broken {
		fmt.Fprintf(l.warn, "warning: tensorboard: %v (no more TensorBoard events are written)\n", err)
		l.broken = true
	}
}

func (l *tbLog) open() bool {
	if l.w == nil && !l.broken {
		w, err := tensorboard.NewWriter(filepath.Join(l.dir, TensorBoardDir))
		l.w = w
		l.fail(err)
	}
	return !l.broken
}

func (l *tbLog) close() {
	if l.w != nil {
		if err := l.w.Close(); err != nil {
			fmt.Fprintf(l.warn, "warning: tensorboard: %v\n", err)
		}
	}
}

func (l *tbLog) scalar(tag string, step int64, v float64) {
	if !l.broken {
		l.fail(l.w.Scalar(tag, step, v))
	}
}

// image writes a PNG file or bytes under tag.
func (l *tbLog) image(tag string, step int64, b []byte) {
	if l.broken {
		return
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		l.fail(fmt.Errorf("%s: %w", tag, err))
		return
	}
	l.fail(l.w.Image(tag, step, b, cfg.Width, cfg.Height))
}

// metrics writes the scalars of a metrics.jsonl line.
func (l *tbLog) metrics(m rundir.Metrics, test bool) {
	step := int64(m.Epoch)
	l.scalar("loss/train", step, m.TrainLoss)
	l.scalar("accuracy/train", step, m.TrainAcc)
	if test {
		if m.TestLoss != nil {
			l.scalar("loss/test", step, *m.TestLoss)
		}
		if m.TestAcc != nil {
			l.scalar("accuracy/test", step, *m.TestAcc)
		}
	} else {
		l.scalar("loss/val", step, m.ValLoss)
		l.scalar("accuracy/val", step, m.ValAcc)
	}
	l.scalar("learning_rate", step, m.LR)
	l.scalar("epoch_seconds", step, m.Seconds)
}

// AlphaTag is the tag of the weight of op on row (node, input) of the
// architecture tensor called tensor of a cell c: alpha_<tensor>/node<k>_
// from_<state>/<op>, the node numbered as the space's figures number it
// and the state as in<i> for a cell input or node<k> for a node.
func AlphaTag(tensor string, c space.Cell, node, input int, op string) string {
	from := fmt.Sprintf("in%d", input)
	if input >= c.Inputs {
		from = fmt.Sprintf("node%d", input-c.Inputs+c.FirstNode)
	}
	return fmt.Sprintf("alpha_%s/node%d_from_%s/%s", tensor, node+c.FirstNode, from, op)
}

// searchEpoch logs a search epoch: its metrics; for every architecture
// tensor the relaxation's weight of every op on every edge (softmax(α) for
// DARTS) and a histogram of the raw α; the number of skip_connect pairs in
// each cell of the derived genotype; and the figures just redrawn.
func (l *tbLog) searchEpoch(e job.Epoch) {
	if !l.open() {
		return
	}
	step := int64(e.Metrics.Epoch)
	l.metrics(e.Metrics, false)
	if a := e.Alphas; a != nil {
		for _, t := range a.Tensors {
			ct, ok := a.Space.CellType(t.Cell)
			if !ok {
				l.fail(fmt.Errorf("alphas: tensor %s of unknown cell %s", t.Name, t.Cell))
				return
			}
			var raw []float64
			for r, row := range t.Weights {
				for c, v := range row {
					l.scalar(AlphaTag(t.Name, ct.Cell, t.Rows[r][0], t.Rows[r][1], t.Cols[c]), step, v)
				}
			}
			for _, row := range t.Alpha {
				raw = append(raw, row...)
			}
			if len(raw) > 0 && !l.broken {
				l.fail(l.w.Histogram("alpha_hist/"+t.Name, step, raw))
			}
		}
	}
	for _, c := range e.Genotype.Cells {
		n := 0
		for _, p := range c.Pairs() {
			if p.Op == "skip_connect" {
				n++
			}
		}
		l.scalar("genotype/skip_connect_"+c.Name, step, float64(n))
	}
	for _, p := range e.Plots {
		b, err := os.ReadFile(p)
		if err != nil {
			l.fail(err)
			return
		}
		l.image("plots/"+strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)), step, b)
	}
}

// trainEpoch logs a training epoch: its metrics and the learning curves
// drawn from metrics.jsonl so far; at the first epoch logged, the cell
// diagrams of the genotype.
func (l *tbLog) trainEpoch(e job.Epoch) {
	if !l.open() {
		return
	}
	step := int64(e.Metrics.Epoch)
	l.metrics(e.Metrics, true)
	ms, err := rundir.ReadMetrics(rundir.MetricsPath(l.dir))
	if err != nil {
		l.fail(err)
		return
	}
	type named struct {
		name string
		fig  *plots.Figure
	}
	var figs []named
	if f, err := plots.Curves(ms); err == nil {
		figs = append(figs, named{"curves", f})
	}
	if !l.cells {
		l.cells = true
		for _, c := range e.Genotype.Cells {
			name := "cell_" + c.Name // as plots.All names them
			if c.Name == "cell" {
				name = "cell"
			}
			if f, err := plots.CellDiagram(e.Genotype, c.Name); err == nil {
				figs = append(figs, named{name, f})
			}
		}
	}
	for _, f := range figs {
		var b bytes.Buffer
		if err := f.fig.WriteTo(&b, "png"); err != nil {
			l.fail(err)
			return
		}
		l.image("plots/"+f.name, step, b.Bytes())
	}
}
