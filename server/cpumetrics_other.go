//go:build !unix

package server

// processCPUSeconds is not measured here.
func processCPUSeconds() (float64, bool) { return 0, false }
