// Package plots draws every figure of darts-go with gonum/plot, from a run
// directory's files alone: alpha evolution, final-weight heatmaps, learning
// curves, cell diagrams and the skip-connection count of DARTS collapse.
//
// All draws everything a run directory allows and reports what it could not
// draw as warnings; each figure also has its own function returning a
// Figure to save as PNG, SVG or PDF. Every op has one color in every figure
// (OpColor). The genotype marked in the alpha figures is derived with
// package derive from the alphas shown, never re-implemented here.
//
// It does no training.
package plots
