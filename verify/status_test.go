package verify_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/verify"
)

func TestStatuses(t *testing.T) {
	s := verify.Statuses()
	assert.Len(t, s, 10)
	assert.Equal(t, verify.StatusUpToDate, s[0], "best first")
	assert.Equal(t, verify.StatusUnknown, s[len(s)-1], "unknown last")
	s[0] = "tampered"
	assert.Equal(t, verify.StatusUpToDate, verify.Statuses()[0], "callers get a copy")

	_, err := verify.New(verify.Options{AcceptStatuses: []verify.TCBStatus{"Fine"}})
	assert.Error(t, err, "an unknown status is refused")
	_, err = verify.New(verify.Options{AcceptStatuses: verify.Statuses()})
	assert.NoError(t, err, "every listed status is known")
}
