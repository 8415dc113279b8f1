package eventlog_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

func TestDigestMismatchErrorMessageIsBounded(t *testing.T) {
	big := bytes.Repeat([]byte{0xab}, 1<<20)
	e := &eventlog.DigestMismatchError{Index: 3, IMR: 3, Name: "compose-hash", Field: "preimage", Expected: big, Found: []byte{1, 2}}
	msg := e.Error()
	assert.Less(t, len(msg), 400, "a megabyte preimage does not make a megabyte message")
	assert.Contains(t, msg, "(1048576 bytes)")
	assert.Contains(t, msg, "found 0102")
}
