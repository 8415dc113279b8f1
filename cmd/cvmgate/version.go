package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// modulePath is the module the CLI belongs to.
const modulePath = "github.com/cvmgate/cvmgate"

var versionCmd = &command{
	name:     "version",
	summary:  "print the version, the commit it was built from, and its Go toolchain",
	synopsis: "[--json]",
	about: `Prints the module version (a release tag when installed with 'go install ...@version',
"(devel)" for a build from a clone), the VCS commit, its time and whether the tree was
modified, the Go version and platform, and the build tags. 'go version -m' on the binary
shows the same and every dependency.`,
	flags: versionFlags,
	examples: []example{
		{"install the latest release", installLine},
		{"build from a clone (the commit is recorded)", "git clone https://github.com/cvmgate/cvmgate && cd cvmgate && go build ./cmd/cvmgate && ./cvmgate version"},
	},
	exits: []exitDoc{{exitOK, "printed"}, {exitUsage, "usage error"}},
}

// versionJSON is what "version --json" prints.
type versionJSON struct {
	SchemaVersion int      `json:"schema_version"`
	Module        string   `json:"module"`
	Version       string   `json:"version"`
	Commit        string   `json:"commit,omitempty"`
	CommitTime    string   `json:"commit_time,omitempty"`
	Modified      bool     `json:"modified"`
	Go            string   `json:"go"`
	Platform      string   `json:"platform"`
	Tags          []string `json:"tags"`
	Simulator     bool     `json:"simulator"`
}

// versionFlags registers the flags of "version".
func versionFlags(fs *flag.FlagSet) runFunc {
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print the same as one JSON object")
	return func(_ context.Context, e *env, _ []string) error {
		v := buildVersion()
		if asJSON {
			return writeJSON(e.stdout, v)
		}
		fmt.Fprintf(e.stdout, "cvmgate %s\nmodule %s\n", v.Version, v.Module)
		if v.Commit != "" {
			mod := ""
			if v.Modified {
				mod = ", modified"
			}
			fmt.Fprintf(e.stdout, "commit %s (%s%s)\n", v.Commit, orNone(v.CommitTime), mod)
		} else {
			fmt.Fprintln(e.stdout, "commit unknown (built without VCS information)")
		}
		fmt.Fprintf(e.stdout, "%s %s\n", v.Go, v.Platform)
		if len(v.Tags) > 0 {
			fmt.Fprintf(e.stdout, "tags %s\n", strings.Join(v.Tags, ","))
		}
		if !v.Simulator {
			fmt.Fprintln(e.stdout, "demo and simulator left out (built with -tags "+noSimTag+")")
		}
		return nil
	}
}

// buildVersion reads the version from the binary's build information.
func buildVersion() versionJSON {
	v := versionJSON{SchemaVersion: schemaVersion, Module: modulePath, Version: "(unknown)", Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Tags: []string{}, Simulator: len(simCommands) > 0}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Path != "" {
		v.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "-tags":
			v.Tags = strings.Split(s.Value, ",")
		}
	}
	return v
}
