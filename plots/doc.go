// Package plots draws every figure of darts-go with gonum/plot, from a run
// directory's files alone: the evolution of every op tensor's weights,
// final-weight heatmaps, learning curves, cell diagrams of any genotype
// (any space: DARTS's normal and reduction cells, NAS-Bench-201's one
// cell, cells whose nodes have any number of inputs) and the
// skip-connection count of DARTS collapse.
//
// All draws everything a run directory allows and reports what it could not
// draw as warnings; each figure also has its own function returning a
// Figure to save as PNG, SVG or PDF, written atomically. Every op has one
// color in every figure (OpColor). The genotype marked in the alpha figures
// is derived with package derive, by the run's own rule, from the alphas
// shown, never re-implemented here.
//
// It does no training and links no tensor code (go list -deps ./plots
// shows no gorgonia).
package plots
