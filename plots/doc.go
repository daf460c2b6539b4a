// Package plots draws every figure of darts-go with gonum/plot, from a run
// directory's files alone: alpha evolution, final-weight heatmaps, learning
// curves, and cell diagrams.
//
// It does no training.
package plots
