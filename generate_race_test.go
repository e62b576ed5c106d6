//go:build race

package main

// generateUnderRace: this test binary was built with -race, which makes the
// ledger's commands ten times slower; the generator's tests write smaller
// stores then.
const generateUnderRace = true
