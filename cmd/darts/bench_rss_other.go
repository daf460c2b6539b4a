//go:build !unix

package main

import "time"

// peakRSS is unknown where getrusage is missing.
func peakRSS() (uint64, bool) { return 0, false }

// cpuTime is unknown where getrusage is missing.
func cpuTime() (time.Duration, bool) { return 0, false }
