package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/verify"
)

func TestIntelSGXRootCAFingerprint(t *testing.T) {
	root, err := verify.IntelSGXRootCA()
	require.NoError(t, err)
	sum := sha256.Sum256(root.Raw)
	assert.Equal(t, "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3", hex.EncodeToString(sum[:]))
	assert.Equal(t, verify.IntelSGXRootCAFingerprint, hex.EncodeToString(sum[:]))
	assert.Equal(t, "Intel SGX Root CA", root.Subject.CommonName)
	assert.True(t, root.IsCA)
	require.NoError(t, root.CheckSignatureFrom(root), "the root is self-signed")
}

func TestIntelSGXRootCAIsACopy(t *testing.T) {
	a, err := verify.IntelSGXRootCA()
	require.NoError(t, err)
	a.Raw[0] ^= 0xff
	a.Subject.CommonName = "changed"
	b, err := verify.IntelSGXRootCA()
	require.NoError(t, err)
	assert.Equal(t, "Intel SGX Root CA", b.Subject.CommonName)
	sum := sha256.Sum256(b.Raw)
	assert.Equal(t, verify.IntelSGXRootCAFingerprint, hex.EncodeToString(sum[:]))
}
