package compose

import (
	"crypto/sha256"
	"encoding/json"

	"github.com/cvmgate/cvmgate/internal/jsonshape"
)

// Runners dstack knows.
const (
	// RunnerDockerCompose runs the docker-compose file with docker compose.
	RunnerDockerCompose = "docker-compose"
	// RunnerBash pipes bash_script to bash instead of running containers.
	RunnerBash = "bash"
)

// ScriptKind names an app-compose.json key that holds a script dstack runs
// as root.
type ScriptKind string

// Script kinds, in the order dstack runs them.
const (
	// ScriptInit is init_script: sourced after the system-ready event and
	// before docker starts; it may write the docker-compose.yaml dstack
	// then runs instead of the measured docker_compose_file. It is a
	// string, or (dstack 0.6) a list of strings each run in turn.
	ScriptInit ScriptKind = "init_script"
	// ScriptPreLaunch is pre_launch_script: sourced into the shell that
	// then starts the containers, so it can run any container or replace
	// the compose file. Its presence makes it run, even when empty.
	ScriptPreLaunch ScriptKind = "pre_launch_script"
	// ScriptBash is bash_script: the whole application when the runner is
	// bash, ignored otherwise.
	ScriptBash ScriptKind = "bash_script"
)

// ScriptKinds lists every script kind, in the order dstack runs them.
func ScriptKinds() []ScriptKind { return []ScriptKind{ScriptInit, ScriptPreLaunch, ScriptBash} }

// Script is a script dstack runs as root beside the docker-compose file.
type Script struct {
	Kind ScriptKind
	// Text is the script as dstack hands it to bash: the string's value,
	// or "null" where the key holds JSON null, which is what jq -r prints
	// for it (a pre_launch_script of null still runs; so does a bash
	// runner's absent bash_script).
	Text string
	// SHA256 is the SHA-256 of Text.
	SHA256 [sha256.Size]byte
}

func newScript(kind ScriptKind, text string) Script {
	return Script{Kind: kind, Text: text, SHA256: sha256.Sum256([]byte(text))}
}

// jqNull is what jq -r prints for null, and so what dstack runs for a
// script key holding null.
const jqNull = "null"

// scripts returns the scripts dstack runs for these members: init_script
// when present, pre_launch_script when present, bash_script when the
// runner is bash.
func (m members) scripts(runner string) ([]Script, error) {
	var out []Script
	if v, ok := m[string(ScriptInit)]; ok {
		list, err := initScripts(v)
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			out = append(out, newScript(ScriptInit, s))
		}
	}
	if v, ok := m[string(ScriptPreLaunch)]; ok {
		s, err := scriptText(ScriptPreLaunch, v)
		if err != nil {
			return nil, err
		}
		out = append(out, newScript(ScriptPreLaunch, s))
	}
	if runner == RunnerBash {
		s, err := scriptText(ScriptBash, m[string(ScriptBash)])
		if err != nil {
			return nil, err
		}
		out = append(out, newScript(ScriptBash, s))
	}
	return out, nil
}

// scriptText returns what jq -r hands to bash for a script value: a
// string's value, or "null" for null or an absent key. Other JSON types
// are refused rather than rendered as jq would.
func scriptText(kind ScriptKind, v json.RawMessage) (string, error) {
	if jsonshape.IsNull(v) {
		return jqNull, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", malformedAt(string(kind), "a string", jsonshape.Kind(v))
	}
	return s, nil
}

// initScripts reads init_script: a string, a list of strings (dstack 0.6
// runs each; dstack 0.5 sources jq's rendering of the list, whose first
// line fails), or null (dstack 0.6 runs nothing; 0.5 runs "null").
func initScripts(v json.RawMessage) ([]string, error) {
	if jsonshape.Kind(v) != "an array" {
		s, err := scriptText(ScriptInit, v)
		return []string{s}, err
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, malformedAt(string(ScriptInit), "a string or a list of strings", "a list holding something else")
	}
	return list, nil
}
