package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/darts-go/darts/job"
)

// Stat is the mean, the sample standard deviation (n − 1; NaN below two
// values) and the count of some values.
type Stat struct {
	Mean, Std float64
	N         int
}

// NewStat summarizes xs.
func NewStat(xs []float64) Stat {
	s := Stat{N: len(xs), Mean: math.NaN(), Std: math.NaN()}
	if s.N == 0 {
		return s
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	s.Mean = sum / float64(s.N)
	if s.N > 1 {
		ss := 0.0
		for _, x := range xs {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(ss / float64(s.N-1))
	}
	return s
}

// Group is one row of a report: the finished members that share the
// labels of the group_by axes.
type Group struct {
	Name       string // the labels, as "method=darts-1st"; "run" if none
	RandomCell bool   // a group of random cells
	Members    int    // members of the group, finished or not
	Results    []Result
	// The finished members' final search-val accuracy, retrained test
	// accuracy, retrained network's parameters, search wall time in
	// seconds and skip connections in the normal cell.
	SearchValAcc, TestAcc, Params, SearchSeconds, NormalSkips Stat
	// RandomTestAcc is the retrained test accuracy of the finished random
	// cells retrained at the group's budget: the same retraining settings
	// and the same space to draw from.
	RandomTestAcc Stat
}

// Unfinished is a member a report leaves out, and why.
type Unfinished struct {
	Member Member
	Status Status
}

// Report aggregates an experiment's finished members.
type Report struct {
	Experiment string
	Groups     []Group
	Unfinished []Unfinished
	// Finished are the finished members with their results, in index order.
	Finished []Result
	members  []Member // every member, in index order
	statuses []Status
}

// NewReport reads every member's status and groups the finished ones.
func NewReport(e *Experiment) (*Report, error) {
	r := &Report{Experiment: e.Name, members: e.Members}
	byGroup := map[string]int{}
	budgetRandom := map[string][]float64{} // budget → random cells' test accuracies
	type entry struct {
		group  int
		budget string
	}
	var finished []entry
	for _, m := range e.Members {
		st, err := MemberStatus(m)
		if err != nil {
			return nil, err
		}
		r.statuses = append(r.statuses, st)
		gi, ok := byGroup[m.Group]
		if !ok {
			gi = len(r.Groups)
			byGroup[m.Group] = gi
			r.Groups = append(r.Groups, Group{Name: m.Group, RandomCell: m.Settings.RandomCell})
		}
		g := &r.Groups[gi]
		g.Members++
		g.RandomCell = g.RandomCell && m.Settings.RandomCell
		if !st.Finished {
			r.Unfinished = append(r.Unfinished, Unfinished{m, st})
			continue
		}
		res := *st.Result
		g.Results = append(g.Results, res)
		r.Finished = append(r.Finished, res)
		b := budget(m.Settings)
		finished = append(finished, entry{gi, b})
		if m.Settings.RandomCell && res.Train != nil && res.Train.TestAcc != nil {
			budgetRandom[b] = append(budgetRandom[b], *res.Train.TestAcc)
		}
	}
	groupBudgets := make([][]string, len(r.Groups))
	for _, f := range finished {
		if !slices.Contains(groupBudgets[f.group], f.budget) {
			groupBudgets[f.group] = append(groupBudgets[f.group], f.budget)
		}
	}
	for i := range r.Groups {
		g := &r.Groups[i]
		var val, test, params, secs, skips, random []float64
		for _, res := range g.Results {
			if res.Search != nil {
				if res.Search.ValAcc != nil {
					val = append(val, *res.Search.ValAcc)
				}
				secs = append(secs, res.Search.Seconds)
			}
			if res.Train != nil {
				if res.Train.TestAcc != nil {
					test = append(test, *res.Train.TestAcc)
				}
				params = append(params, float64(res.Train.Params))
			}
			skips = append(skips, float64(res.NormalSkips))
		}
		for _, b := range groupBudgets[i] {
			random = append(random, budgetRandom[b]...)
		}
		g.SearchValAcc, g.TestAcc, g.Params = NewStat(val), NewStat(test), NewStat(params)
		g.SearchSeconds, g.NormalSkips, g.RandomTestAcc = NewStat(secs), NewStat(skips), NewStat(random)
	}
	return r, nil
}

// budget identifies what a member's cell is retrained with and drawn
// from: its retraining settings and its search space and ops.
func budget(s Settings) string {
	cfg := s.Search.Network.WithDefaults()
	b, _ := json.Marshal(struct {
		Retrain           *RetrainSettings
		Space, Ops        string
		Steps, Multiplier int
		CellsPerStage     int
	}{s.Retrain, cfg.Space, s.Search.Ops, cfg.Steps, cfg.Multiplier, cfg.CellsPerStage})
	return string(b)
}

// percent formats a Stat of fractions as "97.12 ± 0.31" (percent).
func percent(s Stat) string { return format(s, 100, 2) }

func format(s Stat, scale float64, prec int) string {
	if s.N == 0 {
		return "—"
	}
	if s.N == 1 || math.IsNaN(s.Std) {
		return strconv.FormatFloat(s.Mean*scale, 'f', prec, 64)
	}
	return fmt.Sprintf("%s ± %s", strconv.FormatFloat(s.Mean*scale, 'f', prec, 64), strconv.FormatFloat(s.Std*scale, 'f', prec, 64))
}

func formatParams(s Stat) string {
	if s.N == 0 {
		return "—"
	}
	m := job.Thousands(int(math.Round(s.Mean)))
	if s.N == 1 || s.Std == 0 {
		return m
	}
	return m + " ± " + job.Thousands(int(math.Round(s.Std)))
}

// Markdown writes the report's tables: one row per group, then the
// unfinished members.
func (r *Report) Markdown(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## Experiment %s\n\n", r.Experiment)
	fmt.Fprintf(&b, "Mean ± sample standard deviation over the finished members of each group; n is finished/all.\n\n")
	b.WriteString("| group | n | search-val acc (%) | retrained test acc (%) | params | search time (s) | normal-cell skips | random cells, same budget: test acc (%) | Δ vs random (points) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, g := range r.Groups {
		random := "—"
		if g.RandomTestAcc.N > 0 {
			random = fmt.Sprintf("%s (n=%d)", percent(g.RandomTestAcc), g.RandomTestAcc.N)
		}
		delta := "—"
		if !g.RandomCell && g.TestAcc.N > 0 && g.RandomTestAcc.N > 0 {
			d := math.Round(10000*(g.TestAcc.Mean-g.RandomTestAcc.Mean)) / 100
			delta = fmt.Sprintf("%+.2f", d+0) // +0: no "-0.00"
		}
		fmt.Fprintf(&b, "| %s | %d/%d | %s | %s | %s | %s | %s | %s | %s |\n", g.Name, len(g.Results), g.Members,
			percent(g.SearchValAcc), percent(g.TestAcc), formatParams(g.Params), format(g.SearchSeconds, 1, 0),
			format(g.NormalSkips, 1, 1), random, delta)
	}
	if len(r.Unfinished) > 0 {
		fmt.Fprintf(&b, "\nUnfinished members (not in the table above): %d of %d\n\n", len(r.Unfinished), len(r.members))
		b.WriteString("| index | member | status |\n|---|---|---|\n")
		for _, u := range r.Unfinished {
			fmt.Fprintf(&b, "| %d | %s | %s |\n", u.Member.Index, u.Member.Name, u.Status)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// CSV writes one row per group, every Stat as its mean, std and n (empty
// when undefined; accuracies as fractions, times in seconds).
func (r *Report) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"group", "random_cell", "members", "finished"}
	for _, s := range []string{"search_val_acc", "test_acc", "params", "search_seconds", "normal_skips", "random_test_acc"} {
		head = append(head, s+"_mean", s+"_std", s+"_n")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, g := range r.Groups {
		row := []string{g.Name, strconv.FormatBool(g.RandomCell), strconv.Itoa(g.Members), strconv.Itoa(len(g.Results))}
		for _, s := range []Stat{g.SearchValAcc, g.TestAcc, g.Params, g.SearchSeconds, g.NormalSkips, g.RandomTestAcc} {
			row = append(row, csvFloat(s.Mean), csvFloat(s.Std), strconv.Itoa(s.N))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// MembersCSV writes one row per member, finished or not: its status and,
// once finished, its numbers and cell.
func (r *Report) MembersCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"index", "member", "group", "random_cell", "seed", "status", "search_val_acc", "search_seconds",
		"test_acc", "params", "train_seconds", "normal_skips", "genotype"}); err != nil {
		return err
	}
	for i, m := range r.members {
		st := r.statuses[i]
		row := []string{strconv.Itoa(m.Index), m.Name, m.Group, strconv.FormatBool(m.Settings.RandomCell),
			strconv.FormatUint(m.Settings.Seed, 10), st.String(), "", "", "", "", "", "", ""}
		if res := st.Result; res != nil {
			if s := res.Search; s != nil {
				row[6], row[7] = csvPtr(s.ValAcc), csvFloat(s.Seconds)
			}
			if t := res.Train; t != nil {
				row[8], row[9], row[10] = csvPtr(t.TestAcc), strconv.Itoa(t.Params), csvFloat(t.Seconds)
			}
			row[11] = strconv.Itoa(res.NormalSkips)
			row[12] = res.Genotype.String()
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvFloat(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func csvPtr(x *float64) string {
	if x == nil {
		return ""
	}
	return csvFloat(*x)
}
