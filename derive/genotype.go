package derive

// Pair is one chosen edge of a cell: the operation and the index of the
// state it reads (0 and 1 are the two previous cells' outputs, 2.. the
// cell's intermediate nodes).
type Pair struct {
	Op    string
	Input int
}

// Genotype is a discrete DARTS architecture: for each cell type, two Pairs
// per intermediate node (node k's pairs at 2k and 2k+1) and the states
// concatenated into the cell's output.
type Genotype struct {
	Normal       []Pair
	NormalConcat []int
	Reduce       []Pair
	ReduceConcat []int
}
