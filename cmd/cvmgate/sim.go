//go:build !cvmgate_nosim

package main

// simCommands are the commands that carry test doubles (cvmtest's test PKI
// and fake PCS) into the binary; a build with -tags cvmgate_nosim leaves
// them out.
var simCommands = []*command{demoCmd, simulateCmd}
