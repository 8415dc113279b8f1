//go:build cvmgate_nosim

package main

// simCommands is empty in a build with -tags cvmgate_nosim: no demo, no
// simulator, and none of cvmtest's test doubles in the binary.
var simCommands []*command
