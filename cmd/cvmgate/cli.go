package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// env is what a command runs with: its standard streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// getenv reads an environment variable (os.Getenv, or a test's map).
	getenv func(string) string
	// terminal reports whether stderr is a terminal, where progress lines
	// for slow steps may go (see progress.go).
	terminal bool

	// stdinFlag is the flag that read standard input ("-"), if any: only
	// one may.
	stdinFlag string
}

// command is one command of the table: its words, its documentation, its
// flags and what it runs. Help, usage errors and shell completion are all
// generated from it.
type command struct {
	// name is the command's words after "cvmgate", such as "quote verify".
	name string
	// summary is one line for command lists.
	summary string
	// synopsis is the usage line after "cvmgate name".
	synopsis string
	// about describes the command; paragraphs are separated by blank lines.
	about string
	// args names the positional arguments, such as "FILE"; a last name
	// ending in "..." takes any number, none included.
	args []string
	// flags registers the command's flags on fs and returns the function
	// that runs the command once they are parsed. Nil: no flags, and run
	// is called directly.
	flags func(fs *flag.FlagSet) runFunc
	// run runs a command without flags.
	run runFunc
	// examples show typical invocations.
	examples []example
	// exits says what each exit code means for this command.
	exits []exitDoc
	// envVars lists the environment variables the command reads.
	envVars []envVar
}

// runFunc runs a command with its positional arguments. Its error decides
// the exit code (exitCode) and, unless shown, is printed on stderr.
type runFunc func(ctx context.Context, e *env, args []string) error

// example is one example invocation and what it does.
type example struct {
	about, line string
}

// envVar is an environment variable a command reads.
type envVar struct {
	name, about string
}

// group is the first word shared by several commands, such as "quote".
type group struct {
	name, summary string
}

// run dispatches args to a command and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		writeOverview(e.stderr)
		return exitUsage
	}
	switch {
	case isHelpFlag(args[0]):
		writeOverview(e.stdout)
		return exitOK
	case args[0] == "-version" || args[0] == "--version":
		args = []string{"version"}
	}
	c, g, rest, err := resolve(args)
	switch {
	case err != nil:
		fmt.Fprintf(e.stderr, "cvmgate: %v\nRun 'cvmgate help' for the list of commands.\n", err)
		return exitUsage
	case g != nil:
		return runGroup(e, g, rest)
	}
	return c.execute(ctx, e, rest)
}

// resolve finds the command args name, or the group they name without a
// command, and returns the arguments that follow.
func resolve(args []string) (*command, *group, []string, error) {
	if c := findCommand(args[0]); c != nil {
		return c, nil, args[1:], nil
	}
	g := findGroup(args[0])
	if g == nil {
		return nil, nil, nil, fmt.Errorf("unknown command %q; expected one of: %s", args[0], strings.Join(topWords(), ", "))
	}
	if len(args) == 1 || strings.HasPrefix(args[1], "-") {
		return nil, g, args[1:], nil
	}
	if c := findCommand(g.name + " " + args[1]); c != nil {
		return c, nil, args[2:], nil
	}
	return nil, nil, nil, fmt.Errorf("unknown command %q; expected one of: %s", g.name+" "+args[1], strings.Join(groupVerbs(g), ", "))
}

// runGroup answers a group named without a command: its help on -h, and
// otherwise its help on stderr with exit status 2, as a command is missing.
func runGroup(e *env, g *group, args []string) int {
	if len(args) > 0 && isHelpFlag(args[0]) {
		writeGroupHelp(e.stdout, g)
		return exitOK
	}
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "cvmgate %s: expected a command before %s; one of: %s\n\n", g.name, args[0], strings.Join(groupVerbs(g), ", "))
	} else {
		fmt.Fprintf(e.stderr, "cvmgate %s: expected a command: one of %s\n\n", g.name, strings.Join(groupVerbs(g), ", "))
	}
	writeGroupHelp(e.stderr, g)
	return exitUsage
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// execute parses the command's flags and arguments, runs it, and reports
// its error.
func (c *command) execute(ctx context.Context, e *env, args []string) int {
	fs, runner := c.flagSet()
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		writeHelp(e.stdout, c)
		return exitOK
	}
	if err == nil {
		err = c.checkArgs(pos)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cvmgate %s: %v\nRun 'cvmgate %s --help' for its usage.\n", c.name, err, c.name)
		return exitUsage
	}
	err = runner(ctx, e, pos)
	var s shown
	if err != nil && !errors.As(err, &s) {
		fmt.Fprintf(e.stderr, "cvmgate %s: %s\n", c.name, describe(err))
		if h := hint(err); h != "" {
			fmt.Fprintf(e.stderr, "hint: %s\n", h)
		}
	}
	return exitCode(err)
}

// flagSet returns c's flag set, its flags registered, and the function
// that runs c once they are parsed. The set returns its errors rather
// than printing them: execute prints them its own way.
func (c *command) flagSet() (*flag.FlagSet, runFunc) {
	fs := flag.NewFlagSet("cvmgate "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if c.flags == nil {
		return fs, c.run
	}
	return fs, c.flags(fs)
}

// parseInterspersed parses flags wherever they appear among the
// positional arguments ("policy check FILE --json"), up to a "--" after
// which everything is positional. It returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagError rewrites the flag package's messages in the CLI's terms.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	msg := err.Error()
	for _, prefix := range []string{"invalid value ", "invalid boolean value "} {
		rest, ok := strings.CutPrefix(msg, prefix)
		if !ok {
			continue
		}
		if value, after, ok := strings.Cut(rest, " for "); ok {
			name, cause, _ := strings.Cut(strings.TrimPrefix(after, "flag "), ": ")
			return usagef("--%s %s: %s", strings.TrimLeft(name, "-"), value, cause)
		}
	}
	for _, r := range []struct{ prefix, format string }{
		{"flag provided but not defined: -", "unknown flag --%s"},
		{"flag needs an argument: -", "--%s needs a value"},
	} {
		if name, ok := strings.CutPrefix(msg, r.prefix); ok {
			return usagef(r.format, strings.TrimLeft(name, "-"))
		}
	}
	return usageError{err}
}

// checkArgs checks the number of positional arguments.
func (c *command) checkArgs(pos []string) error {
	want := c.args
	variadic := len(want) > 0 && strings.HasSuffix(want[len(want)-1], "...")
	required := len(want)
	if variadic {
		required--
	}
	switch {
	case len(pos) < required:
		return usagef("missing argument %s", want[len(pos)])
	case len(pos) > len(want) && !variadic && len(want) == 0 && c.flags == nil:
		return usagef("unexpected argument %q: %s takes no arguments", pos[0], c.name)
	case len(pos) > len(want) && !variadic && len(want) == 0:
		return usagef("unexpected argument %q: %s takes no arguments, only flags", pos[0], c.name)
	case len(pos) > len(want) && !variadic:
		return usagef("unexpected argument %q: expected only %s", pos[len(want)], strings.Join(want, " "))
	}
	return nil
}

// findCommand returns the command named name, or nil.
func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// findGroup returns the group named name, or nil.
func findGroup(name string) *group {
	for i := range groups {
		if groups[i].name == name {
			return &groups[i]
		}
	}
	return nil
}

// groupCommands returns the commands of group g, in table order.
func groupCommands(g *group) []*command {
	var out []*command
	for _, c := range commands() {
		if strings.HasPrefix(c.name, g.name+" ") {
			out = append(out, c)
		}
	}
	return out
}

// groupVerbs returns the second words of group g's commands.
func groupVerbs(g *group) []string {
	var out []string
	for _, c := range groupCommands(g) {
		out = append(out, strings.TrimPrefix(c.name, g.name+" "))
	}
	return out
}

// topWords returns the first words of every command, once each.
func topWords() []string {
	var out []string
	for _, c := range commands() {
		w, _, _ := strings.Cut(c.name, " ")
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
