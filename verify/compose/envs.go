package compose

import "strings"

// codeEnvNames and codeEnvPrefixes name the environment variables through
// which a value in the deployer's encrypted environment changes which code
// dstack runs: dstack's start script takes APP_COMPOSE_FILE and
// COMPOSE_FILE from the environment (pointing them at unmeasured,
// host-supplied files), bash runs $BASH_ENV before a script and obeys
// SHELLOPTS, PS4 and IFS, the loader obeys LD_* and GCONV_PATH, docker and
// compose obey DOCKER_*, COMPOSE_* and HOME (their configuration and
// plugins), and PATH picks every program. The list is the known ways, not
// a proof that there are no others.
var (
	codeEnvNames = map[string]bool{
		"APP_COMPOSE_FILE": true, "ENV": true, "SHELLOPTS": true, "BASHOPTS": true,
		"PS4": true, "IFS": true, "PATH": true, "HOME": true, "GLOBIGNORE": true,
		"GCONV_PATH": true,
	}
	codeEnvPrefixes = []string{"BASH_", "LD_", "DOCKER_", "COMPOSE_", "NERDCTL_", "CONTAINERD_"}
)

// CodeEnvs returns the names in AllowedEnvs that let whoever supplies the
// encrypted environment change the code dstack runs, in list order.
func (a *App) CodeEnvs() []string {
	var out []string
	for _, name := range a.AllowedEnvs {
		if controlsCode(name) {
			out = append(out, name)
		}
	}
	return out
}

func controlsCode(name string) bool {
	if codeEnvNames[name] {
		return true
	}
	for _, p := range codeEnvPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
