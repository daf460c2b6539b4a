// Package job runs searches and trainings in run directories, the way
// `darts search` and `darts train` do, as a library: it starts a run or
// resumes one exactly from its checkpoint, owns the config.json schema of
// both kinds of run (SearchConfig, TrainConfig), writes the per-epoch files
// (metrics.jsonl, alphas.jsonl, genotype.json/.txt, weights.dgo, plots),
// checkpoints after every step in the background and after every epoch,
// and on cancellation (WithSignals turns SIGINT and SIGTERM into one)
// saves the checkpoint and returns an *InterruptedError. It also reopens a
// finished training run to evaluate it (OpenTraining), as `darts eval`.
//
// It wires the other packages together, reports progress through a
// Reporter and hands every finished epoch to an optional OnEpoch hook (the
// darts command's TensorBoard log); it parses no flags and prints nothing
// itself. config.json records the program version and the kernel path
// (KernelPath).
package job
