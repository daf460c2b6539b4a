// Package datasets reads the image-classification datasets darts-go searches
// and trains on (MNIST and Fashion-MNIST IDX files, CIFAR-10/100 binaries, a
// synthetic learnable set, a folder of the user's own images), splits them
// as DARTS does (search-train, search-val, test), normalizes them per
// channel, augments them with seeded randomness, and yields NCHW float32
// batches with integer labels.
//
// It knows nothing about models.
//
// # The folder dataset
//
// Options{Name: "folder", DataDir: DIR} reads images laid out as for
// torchvision's ImageFolder: DIR/CLASS/…/IMAGE, one sub-directory per class,
// images at any depth below it. Classes and files are found, ordered and
// labelled exactly as ImageFolder does (see ScanImageFolder, which also says
// where darts-go differs): label = index of the class directory in the
// sorted list, Info.ClassNames maps labels back to names.
//
// Splits. If DIR has sub-directories named train and test, each laid out as
// above, they are the training and test sets; their class lists must be the
// same. Otherwise each class's images are split by Options.TestPortion
// (default DefaultTestPortion, 0.2): round(portion × the class's images),
// but at most all but one, go to the test set, chosen by a permutation of
// the class seeded by Options.SplitSeed (stratified, reproducible; not by
// Options.Seed, so runs with different seeds share one test set). The split is
// made on the file list, before decoding. The training part is then split
// into search-train and search-val by TrainPortion as for every dataset.
//
// Order. Within each part the images of a class are put in a seeded random
// order and the classes interleaved so that every prefix is stratified (a
// class of m images out of n has about k·m/n of the first k). So Limit and
// the TrainPortion split, which take prefixes, keep the class proportions;
// with Limit only the images kept are decoded.
//
// Pixels. An image's format is told by its content: PNG, JPEG, GIF (first
// frame; pixels outside it or of the transparent colour are black), BMP,
// WebP, TIFF, PPM/PGM. It becomes 8-bit RGB as PIL's convert("RGB") makes
// it: alpha dropped (not composited), palettes mapped, 16-bit samples reduced
// to their high byte (PIL clamps 16-bit gray instead). Options.ImageSize
// (H, W) resizes with PIL's bilinear filter, bit-identical to
// torchvision's Resize((H, W)) on PIL images (antialiased when shrinking);
// without it all images must have one size. Options.Channels: 3 replicates
// gray; 1 takes ITU-R 601-2 luma as PIL's convert("L") (after resizing, as
// Resize then Grayscale would); 0 chooses 1 if every pixel of every image
// has R = G = B, which loses nothing, else 3. Normalization is computed from
// the training images used, as for the other datasets.
//
// Errors. A file that cannot be read or decoded is an error naming it, or,
// with Options.SkipBad, is left out and counted in Info.Skipped (the first
// few in Info.SkippedFiles); a class left without training images is still
// an error. No class directory, a single class, a class without image
// files, train/ without test/ (or the reverse), class lists that differ,
// and images of different sizes without ImageSize are errors. Files whose
// names do not end with one of FolderExtensions are ignored, as torchvision
// ignores them.
package datasets
