// Package rundir reads and writes the files of a run directory, the contract
// between searching, training, deriving and plotting: metrics.jsonl,
// alphas.jsonl (any set of named architecture tensors, with the space they
// belong to; darts-go 0.1's lines still read), the file names, and the
// atomic writes and crash-safe appends every run file goes through.
// config.json's schema is package job's.
//
// It is light: it depends on package space only.
package rundir
