package verify_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

func TestStatuses(t *testing.T) {
	s := verify.Statuses()
	assert.Len(t, s, 10)
	assert.Equal(t, verify.StatusUpToDate, s[0], "best first")
	assert.Equal(t, verify.StatusUnknown, s[len(s)-1], "unknown last")
	s[0] = "tampered"
	assert.Equal(t, verify.StatusUpToDate, verify.Statuses()[0], "callers get a copy")

	r := &verify.Report{TCBStatus: verify.StatusUpToDate, QuoteVersion: quote.Version4, Body: quote.Body{TDAttributes: cvmtest.DefaultTDAttributes}}
	err := verify.Accept{Statuses: []verify.TCBStatus{"Fine"}}.Check(r)
	assert.Equal(t, verify.KindInvalidPolicy, verify.KindOf(err), "an unknown status is refused: %v", err)
	assert.NoError(t, verify.Accept{Statuses: verify.Statuses()}.Check(r), "every listed status is known")
}
