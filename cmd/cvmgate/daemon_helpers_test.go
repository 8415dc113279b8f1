package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/policy"
)

// trustSet is what the long-running commands need to verify a simulated
// CVM, written to files as 'cvmgate simulate --write-trust' writes them.
type trustSet struct {
	dir, root, collateral, policy string
}

// flags are the flags that trust the simulated CVM's root and collateral.
func (tr trustSet) flags() []string {
	return []string{"--trust-root", tr.root, "--collateral", tr.collateral}
}

// writeTrustSet writes s's root, collateral bundle and pol (s's own policy
// when nil) to a new directory.
func writeTrustSet(t *testing.T, s *cvmtest.Server, pol *policy.Policy) trustSet {
	t.Helper()
	if pol == nil {
		pol = s.Policy()
	}
	dir := t.TempDir()
	bundle, err := s.Collateral().MarshalBundle()
	require.NoError(t, err)
	polData, err := pol.Marshal()
	require.NoError(t, err)
	tr := trustSet{dir: dir, root: filepath.Join(dir, "root.pem"), collateral: filepath.Join(dir, "collateral.json"), policy: filepath.Join(dir, "policy.yaml")}
	require.NoError(t, os.WriteFile(tr.root, s.PKI().RootPEM, 0o600))
	require.NoError(t, os.WriteFile(tr.collateral, bundle, 0o600))
	require.NoError(t, os.WriteFile(tr.policy, polData, 0o600))
	return tr
}
