package verify

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/cvmgate/cvmgate/verify/compose"
	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// mrConfigIDVersion1 is the first byte of dstack's v1 MR_CONFIG_ID form,
// 0x01 || compose_hash || zeros.
const mrConfigIDVersion1 = 0x01

// checkCompose checks that SHA-256 of the exact app-compose text equals the
// attested compose hash, then parses it.
func checkCompose(raw, composeHash []byte) (*compose.App, error) {
	h := sha256.Sum256(raw)
	if !constantTimeEqual(h[:], composeHash) {
		return nil, mismatch(KindComposeMismatch, "app compose sha256", hex.EncodeToString(composeHash), hex.EncodeToString(h[:]))
	}
	c, err := compose.Parse(raw)
	if err != nil {
		return nil, newError(KindMalformedCompose, "app compose parse", err)
	}
	return c, nil
}

// checkMRConfigID interprets MR_CONFIG_ID. All zeros binds nothing; a first
// byte of 0x01 claims dstack's v1 form, which must then be exactly
// 0x01 || composeHash || zeros; any other value is reported as
// MRConfigIDOther and not checked.
func checkMRConfigID(id [48]byte, composeHash []byte) (MRConfigIDForm, error) {
	if id == [48]byte{} {
		return MRConfigIDZero, nil
	}
	if id[0] != mrConfigIDVersion1 {
		return MRConfigIDOther, nil
	}
	var want [48]byte
	want[0] = mrConfigIDVersion1
	if len(composeHash) != eventlog.ComposeHashSize {
		return "", mismatch(KindComposeMismatch, "mr_config_id", "a 32-byte compose hash to compare", hex.EncodeToString(composeHash))
	}
	copy(want[1:], composeHash)
	if id != want {
		return "", mismatch(KindComposeMismatch, "mr_config_id", hex.EncodeToString(want[:]), hex.EncodeToString(id[:]))
	}
	return MRConfigIDComposeHash, nil
}
