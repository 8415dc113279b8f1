package main

// groups are the first words several commands share.
var groups = []group{
	{"quote", "TDX quotes: verify one, or decode it as JSON"},
	{"evidence", "dstack CVM evidence: verify an attestation (quote and event log) and its app"},
	{"policy", "policies: write one from verified evidence, check one, hash an app compose"},
	{"collateral", "Intel collateral: fetch an offline bundle for air-gapped verification"},
}

// commandTable is every command, in the order help lists them. Commands
// that need the attested transport (monitor, proxy) join it here as they
// are built; the simulator's are in simCommands.
var commandTable []*command

func init() {
	commandTable = []*command{
		verifyCmd,
		quoteVerifyCmd, quoteDecodeCmd,
		evidenceVerifyCmd,
		policyInitCmd, policyCheckCmd, policyHashComposeCmd,
		collateralFetchCmd,
		monitorCmd, proxyCmd,
	}
	commandTable = append(commandTable, simCommands...)
	commandTable = append(commandTable, versionCmd, completionCmd, helpCmd)
}

// commands returns the command table.
func commands() []*command { return commandTable }

// noSimTag is the build tag that leaves the demo and the simulator, and
// with them every test double, out of the binary.
const noSimTag = "cvmgate_nosim"
