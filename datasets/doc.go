// Package datasets reads the image-classification datasets darts-go searches
// and trains on (MNIST and Fashion-MNIST IDX files, CIFAR-10/100 binaries, a
// synthetic learnable set), splits them as DARTS does (search-train,
// search-val, test), normalizes them per channel, augments them with seeded
// randomness, and yields NCHW float32 batches with integer labels.
//
// It knows nothing about models.
package datasets
