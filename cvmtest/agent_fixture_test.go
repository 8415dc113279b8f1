package cvmtest_test

import (
	"testing"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/internal/agentfixture"
)

// TestAgentFixtures sends each recorded request of testdata/agent, as
// bytes, to the fake agent on a unix socket and matches its answer (see
// testdata/agent/README.md for the format).
func TestAgentFixtures(t *testing.T) {
	_, srv := cvmtest.StartAgent(t, cvmtest.AgentOptions{})
	for _, file := range agentfixture.Files(t, "testdata/agent") {
		t.Run(agentfixture.Name(file), func(t *testing.T) {
			agentfixture.Play(t, "unix", srv.Endpoint, file)
		})
	}
}
