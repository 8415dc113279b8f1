//go:build !cvmgate_nosim

package main

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The files simulate --write-trust writes.
const (
	trustRootFile       = "root.pem"
	trustCollateralFile = "collateral.json"
	trustPolicyFile     = "policy.yaml"
	trustTLSCAFile      = "tls-ca.pem"
	trustEnvFile        = "env"
)

// trustFiles lists them in the order the banner names them.
var trustFiles = []string{trustRootFile, trustCollateralFile, trustPolicyFile, trustTLSCAFile, trustEnvFile}

// trustPath is file in dir, as a command line would name it.
func trustPath(dir, file string) string { return filepath.Join(dir, file) }

// writeTrust writes into dir what the other commands need to verify the
// simulated CVM s: its test root, its collateral as a bundle, the honest
// CVM's policy, its TLS CA, and the shell variables that name it.
func writeTrust(dir string, s *simCVM, pccsURL string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError{fileError("--write-trust", dir, err)}
	}
	bundle, err := s.front.Collateral().MarshalBundle()
	if err != nil {
		return err
	}
	pol, err := s.honest.Marshal()
	if err != nil {
		return err
	}
	p := s.cvm.PKI()
	var env strings.Builder
	fmt.Fprintf(&env, "# cvmgate simulate: source this file (. %s)\n", trustPath(dir, trustEnvFile))
	fmt.Fprintf(&env, "export CVMGATE_SIM_URL=%s\n", shellQuote(s.front.URL))
	fmt.Fprintf(&env, "export %s=%s\n", pccsEnv, shellQuote(pccsURL))
	if s.agent != "" {
		fmt.Fprintf(&env, "export DSTACK_SIMULATOR_ENDPOINT=%s\n", shellQuote(s.agent))
	}
	files := map[string][]byte{
		trustRootFile:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root.Raw}),
		trustCollateralFile: bundle,
		trustPolicyFile:     append([]byte("# The policy the honest simulated CVM satisfies (cvmgate simulate).\n"), pol...),
		trustTLSCAFile:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.TLSCA.Raw}),
		trustEnvFile:        []byte(env.String()),
	}
	for _, name := range trustFiles {
		if err := os.WriteFile(trustPath(dir, name), files[name], 0o644); err != nil {
			return usageError{fileError("--write-trust", trustPath(dir, name), err)}
		}
	}
	return nil
}
