// Package sweep runs experiments: a grid of searches (methods, spaces,
// datasets, seeds, any search or retraining setting), the retraining of
// each searched cell, and random cells retrained at the same budget, as
// members that run one at a time, several at once on one machine, or as
// the tasks of a Slurm array or a Kubernetes Indexed Job; then it
// aggregates the finished members into tables and figures.
//
// It reads experiment files, runs members through package job (which owns
// every run directory), draws random cells with derive.Random, and writes
// only the member files below, the scheduler files of Emit and the report.
// It parses no flags; `darts sweep` is its command.
//
// # The experiment file
//
// An experiment is one JSON object:
//
//	{
//	  "name": "compare",            // optional: the file's base name
//	  "comment": "...",             // optional, ignored
//	  "out": "runs/compare",        // optional: runs/NAME; relative to the working directory
//	  "base": { SETTINGS },         // what every member shares
//	  "grid": [ AXIS, ... ],        // the axes, each a list of values
//	  "group_by": ["method"]        // optional: the axes a report groups by
//	}
//
// (JSON has no comments; the // notes above are for reading only.)
//
// SETTINGS is a partial Settings object, in Settings's JSON:
//
//	{
//	  "method": "darts",                  // the search method, by name (package method's registry)
//	  "method_options": {"tau_max": 10},  // its own options, numbers by name (`darts methods` lists them)
//	  "budget": "quick",                  // the budget its recipe is scaled to: "quick" or "reference"
//	  "random_cell": false,               // true: no search, a random cell (the baseline)
//	  "seed": 1,                          // the search's seed, or the random cell's
//	  "search": {
//	    "data":     { datasets.Options },  // "name", "limit", "train_portion", "data_dir", ...
//	    "network":  { supernet.Config },   // "space", "layers", "init_channels", "steps", ...
//	    "ops":      "darts",               // a named op set or op names separated by commas
//	    "settings": { bilevel.Settings }   // "epochs", "batch_size", "order", "learning_rate", ...
//	  },
//	  "retrain": {                        // absent: no retraining
//	    "data": { datasets.Options },
//	    "layers": 8, "init_channels": 16, "auxiliary": false,
//	    "settings": { retrain.TrainSettings } // "epochs", "batch_size", "cutout", "drop_path_prob", "seed", ...
//	  }
//	}
//
// A member's settings are Defaults (the recipe of its method on its
// search space at its budget and order, as `darts search --method M
// --space S --budget B --order O` has it, and, once a "retrain" object
// appears, `darts train`'s), then base, then each axis's value in grid
// order, each applied as a JSON merge patch (RFC 7386: objects merge key
// by key, null deletes, anything else replaces). The method, budget,
// search.network.space and search.settings.order that choose the recipe
// are those the patches end with (default: darts, quick, darts, 1). Every
// key must be a setting (a misspelt one is an error naming it and what
// exists there), except inside method_options, which are the method's
// and checked against its options. The
// seeds follow "seed" and the candidate ops "search.ops", so
// search.settings.seed, search.data.seed and search.network.primitives
// cannot be set; the retraining's own seed is retrain.settings.seed (0
// unless set, so that every cell is retrained alike).
//
// AXIS is either a key and its values:
//
//	{"axis": "seed", "key": "seed", "values": [1, 2, 3]}
//	{"axis": "epochs", "key": "search.settings.epochs", "values": [4, 8]}
//
// (the value's text is its label; "axis" defaults to the key), or named
// values, each a label and a SETTINGS patch:
//
//	{"axis": "method", "values": [
//	  {"label": "darts-1st", "set": {"method": "darts", "search": {"settings": {"order": 1}}}},
//	  {"label": "darts-2nd", "set": {"method": "darts", "search": {"settings": {"order": 2}}}},
//	  {"label": "random",    "set": {"random_cell": true}}
//	]}
//
// Axis names and labels are letters, digits and . _ + -.
//
// # Members
//
// The members are the grid's product, the last axis varying fastest, in
// index order 0..n-1. Member i's name joins its labels as axis=label with
// commas ("method=darts-2nd,seed=3"), its directory is OUT/NAME, and its
// settings and both are a pure function of the file and i. A random cell
// reads no search setting, so it leaves out of its name the axes whose
// value sets only method, method_options, budget, search.data or
// search.settings; grid points that then share a name are one member, at
// the first index.
//
// A member's directory holds member.json (its resolved settings, written
// when it first starts; running it later with other settings is refused),
// search/ (the search's run directory, see package rundir), genotype.json
// and genotype.txt (the cell retrained: the search's final cell or the
// random draw), train/ (the retraining's run directory) and, once every
// stage has finished, result.json. Run skips a member with result.json
// and resumes any other from its checkpoints, exactly.
//
// # Reports
//
// A report groups finished members by the labels of the group_by axes and
// gives, per group, the mean ± sample standard deviation (n − 1) and n of
// the final search-val accuracy, the retrained test accuracy, the
// retrained network's parameters, the search's wall time and the skip
// connections of the normal cell, and the retrained test accuracy of the
// random cells retrained at the same budget (the same retraining settings,
// from the same space). Unfinished members are listed apart and never
// averaged in.
package sweep
