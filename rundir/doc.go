// Package rundir reads and writes the files of a run directory, the contract
// between searching, training, deriving and plotting: config.json,
// metrics.jsonl, alphas.jsonl and the atomic-write helper every run file uses.
package rundir
