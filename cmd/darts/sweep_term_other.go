//go:build !linux

package main

import (
	"os"
	"strconv"
)

// termWidth is $COLUMNS, or 0 if it is not set.
func termWidth(*os.File) int {
	n, _ := strconv.Atoi(os.Getenv("COLUMNS"))
	return n
}
