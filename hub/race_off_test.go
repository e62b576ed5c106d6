//go:build !race

package hub

// raceDetector: this test binary was built with -race.
const raceDetector = false
