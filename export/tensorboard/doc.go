// Package tensorboard writes TensorBoard event files
// (events.out.tfevents.*), so that scalars (losses, accuracies, α weights),
// histograms (α distributions, weights) and PNG images (cell diagrams) of a
// darts-go run can be watched with `tensorboard --logdir RUN`, and reads them
// back, for tests and tools.
//
// # Records
//
// An event file is a sequence of TFRecord records
// (tensorboard/summary/writer/record_writer.py), each
//
//	uint64 LE  length of data
//	uint32 LE  masked CRC-32C of the 8 length bytes
//	data       one serialized Event protocol buffer
//	uint32 LE  masked CRC-32C of data
//
// where CRC-32C is the Castagnoli CRC (hash/crc32.Castagnoli) and
// mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8 (mod 2^32).
//
// # Messages
//
// Field numbers, from the TensorBoard repository's copies of the TensorFlow
// protos (tensorflow/tensorboard, tensorboard/compat/proto/event.proto,
// summary.proto and histogram.proto at commit 70b76c922822, 2026-06-30):
//
//	Event          wall_time 1 (double), step 2 (int64),
//	               file_version 3 (string), summary 5 (Summary)
//	               [oneof what: file_version, summary, ...]
//	Summary        value 1 (repeated Value)
//	Summary.Value  tag 1 (string), simple_value 2 (float), image 4 (Image),
//	               histo 5 (HistogramProto) [oneof value]
//	Summary.Image  height 1, width 2, colorspace 3 (int32),
//	               encoded_image_string 4 (bytes)
//	HistogramProto min 1, max 2, num 3, sum 4, sum_squares 5 (double),
//	               bucket_limit 6, bucket 7 (repeated double, packed)
//
// They are proto3 messages, and the encoder writes them canonically, as the
// protobuf runtimes do: fields in field-number order, scalar fields with the
// value zero left out, except members of a oneof (simple_value 0 is
// written), repeated doubles packed.
//
// # Histograms
//
// Histogram buckets follow TensorFlow's histogram.cc (the HistogramProto
// producer TensorBoard's histogram dashboard was built for; torch's
// SummaryWriter.add_histogram(bins="tensorflow") uses the same limits): the
// default bucket limits are -DBL_MAX, the negated and reversed sequence
// v_k = 1e-12 * 1.1^k below 1e20 (computed by repeated multiplication), 0,
// the sequence itself, and DBL_MAX (2*774+3 = 1551 limits); a value x is counted in the
// first bucket whose limit is > x (std::upper_bound), so bucket i holds
// [limit[i-1], limit[i]); and runs of empty buckets are collapsed into their
// last limit with a count of 0 (EncodeToProto with preserve_zero_buckets
// false). NaN and infinite values are rejected.
//
// # Files and durability
//
// NewWriter creates events.out.tfevents.<unix seconds, 10 digits>.<host> in
// the directory (with .<pid>.<n> appended if that name exists) whose first
// record is an Event with wall_time and file_version "brain.Event:2".
// TensorBoard reads every file whose name contains "tfevents". Each record is
// written with one write(2) call to a file opened for appending, so a killed
// process leaves only complete records; Flush and Close also fsync.
//
// This package touches only the file it creates in the directory given to
// NewWriter (and that directory, which it creates if missing), or the
// io.Writer/io.Reader it is given.
package tensorboard
