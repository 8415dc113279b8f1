package verify

import (
	"slices"
	"strings"
)

// platformStatuses are the statuses a TDX TCB info level may carry.
var platformStatuses = []TCBStatus{
	StatusUpToDate, StatusSWHardeningNeeded, StatusConfigurationNeeded,
	StatusConfigurationAndSWHardeningNeeded, StatusOutOfDate,
	StatusOutOfDateConfigurationNeeded, StatusRevoked,
}

// isvStatuses are the statuses a QE identity or TDX module level may carry.
var isvStatuses = []TCBStatus{StatusUpToDate, StatusOutOfDate, StatusRevoked}

// statuses is every status a Report can carry, best first, StatusUnknown last.
var statuses = []TCBStatus{
	StatusUpToDate, StatusSWHardeningNeeded, StatusConfigurationNeeded,
	StatusConfigurationAndSWHardeningNeeded, StatusOutOfDate,
	StatusOutOfDateConfigurationNeeded, StatusTDRelaunchAdvised,
	StatusTDRelaunchAdvisedConfigurationNeeded, StatusRevoked, StatusUnknown,
}

// Statuses returns every TCB status a Report can carry, in a fixed order:
// Intel's statuses best first, then StatusUnknown.
func Statuses() []TCBStatus { return slices.Clone(statuses) }

// knownStatus reports whether s is a status a Report can carry.
func knownStatus(s TCBStatus) bool { return slices.Contains(statuses, s) }

// needsConfiguration reports whether s says the platform needs configuration.
func needsConfiguration(s TCBStatus) bool {
	switch s {
	case StatusConfigurationNeeded, StatusConfigurationAndSWHardeningNeeded,
		StatusOutOfDateConfigurationNeeded, StatusTDRelaunchAdvisedConfigurationNeeded:
		return true
	}
	return false
}

// converge folds the status of an ISV-rated part (TDX module or QE) into
// the platform status, as Intel's reference verifier does: an OutOfDate part
// makes UpToDate and SWHardeningNeeded OutOfDate and the two configuration
// statuses OutOfDateConfigurationNeeded; a Revoked part revokes; otherwise
// the platform status stands.
func converge(platform, part TCBStatus) TCBStatus {
	switch part {
	case StatusOutOfDate:
		switch platform {
		case StatusUpToDate, StatusSWHardeningNeeded:
			return StatusOutOfDate
		case StatusConfigurationNeeded, StatusConfigurationAndSWHardeningNeeded:
			return StatusOutOfDateConfigurationNeeded
		}
	case StatusRevoked:
		return StatusRevoked
	}
	return platform
}

// joinStatuses renders statuses for an error's Expected field.
func joinStatuses(list []TCBStatus) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = string(s)
	}
	return strings.Join(parts, " or ")
}

// unionAdvisories returns the sorted, de-duplicated union of advisory ids,
// or nil when there are none.
func unionAdvisories(lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return nil
	}
	slices.Sort(all)
	return slices.Compact(all)
}
