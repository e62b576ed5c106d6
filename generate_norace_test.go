//go:build !race

package main

// generateUnderRace: this test binary was built with -race (see
// generate_race_test.go).
const generateUnderRace = false
