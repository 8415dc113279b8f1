package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// installLine is how a user installs the CLI.
const installLine = "go install github.com/cvmgate/cvmgate/cmd/cvmgate@latest"

var helpCmd = &command{
	name:     "help",
	summary:  "show the help of a command or group",
	synopsis: "[COMMAND...]",
	about:    "Without a command, help lists every command. 'cvmgate help CMD' is the same as 'cvmgate CMD --help'.",
	args:     []string{"COMMAND..."},
	run:      runHelp,
	examples: []example{
		{"the flags, examples and exit codes of quote verify", "cvmgate help quote verify"},
		{"the commands of the policy group", "cvmgate help policy"},
	},
	exits: []exitDoc{{exitOK, "help printed"}, {exitUsage, "no such command"}},
}

// runHelp implements "cvmgate help [COMMAND...]".
func runHelp(_ context.Context, e *env, args []string) error {
	name := strings.Join(args, " ")
	switch {
	case name == "":
		writeOverview(e.stdout)
	case findCommand(name) != nil:
		writeHelp(e.stdout, findCommand(name))
	case findGroup(name) != nil:
		writeGroupHelp(e.stdout, findGroup(name))
	default:
		return usagef("no command %q; expected one of: %s", name, strings.Join(topWords(), ", "))
	}
	return nil
}

// writeOverview prints the list of commands and the exit codes.
func writeOverview(w io.Writer) {
	fmt.Fprint(w, `cvmgate verifies Intel TDX quotes and the evidence of dstack confidential VMs
against Intel's root and a policy you can review.

Usage:
  cvmgate <command> [flags]

Commands:
`)
	var rows [][2]string
	for _, c := range commands() {
		rows = append(rows, [2]string{c.name, c.summary})
	}
	writeTable(w, rows)
	fmt.Fprint(w, "\nExit status (every command):\n")
	writeExits(w, exitMeanings)
	fmt.Fprintf(w, `
Run 'cvmgate help <command>' or 'cvmgate <command> --help' for its flags and examples.
Install: %s
`, installLine)
}

// writeGroupHelp prints a group's commands.
func writeGroupHelp(w io.Writer, g *group) {
	fmt.Fprintf(w, "cvmgate %s: %s\n\nUsage:\n  cvmgate %s <command> [flags]\n\nCommands:\n", g.name, g.summary, g.name)
	var rows [][2]string
	for _, c := range groupCommands(g) {
		rows = append(rows, [2]string{strings.TrimPrefix(c.name, g.name+" "), c.summary})
	}
	writeTable(w, rows)
	fmt.Fprintf(w, "\nRun 'cvmgate %s <command> --help' for its flags, examples and exit codes.\n", g.name)
}

// writeHelp prints a command's synopsis, description, flags, examples,
// environment and exit codes.
func writeHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "cvmgate %s: %s\n\nUsage:\n  cvmgate %s", c.name, c.summary, c.name)
	if c.synopsis != "" {
		fmt.Fprint(w, " "+c.synopsis)
	}
	fmt.Fprintln(w)
	if c.about != "" {
		fmt.Fprintln(w)
		for _, para := range strings.Split(strings.TrimSpace(c.about), "\n\n") {
			if !preformatted(para) {
				para = wrap(para, 78, "")
			}
			fmt.Fprintln(w, para)
			fmt.Fprintln(w)
		}
	} else {
		fmt.Fprintln(w)
	}
	if rows := flagRows(c); len(rows) > 0 {
		fmt.Fprintln(w, "Flags:")
		writeTable(w, rows)
		fmt.Fprintln(w)
	}
	if len(c.examples) > 0 {
		fmt.Fprintln(w, "Examples:")
		for _, ex := range c.examples {
			fmt.Fprintf(w, "  # %s\n  %s\n", ex.about, ex.line)
		}
		fmt.Fprintln(w)
	}
	if len(c.envVars) > 0 {
		fmt.Fprintln(w, "Environment:")
		var rows [][2]string
		for _, v := range c.envVars {
			rows = append(rows, [2]string{v.name, v.about})
		}
		writeTable(w, rows)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Exit status:")
	exits := c.exits
	if len(exits) == 0 {
		exits = exitMeanings
	}
	writeExits(w, exits)
}

// preformatted reports whether every line of para is indented by two
// spaces, as a sample file is: help prints it as it is.
func preformatted(para string) bool {
	for line := range strings.SplitSeq(para, "\n") {
		if !strings.HasPrefix(line, "  ") {
			return false
		}
	}
	return true
}

// flagRows returns "--name ARG" and the usage of each of c's flags.
func flagRows(c *command) [][2]string {
	fs, _ := c.flagSet()
	var rows [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if arg != "" {
			left += " " + arg
		}
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && d != "[]" {
			usage += fmt.Sprintf(" (default %s)", d)
		}
		rows = append(rows, [2]string{left, usage})
	})
	return rows
}

// writeExits prints exit codes and their meanings.
func writeExits(w io.Writer, exits []exitDoc) {
	var rows [][2]string
	for _, x := range exits {
		rows = append(rows, [2]string{fmt.Sprint(x.code), x.meaning})
	}
	writeTable(w, rows)
}

// writeTable prints two aligned columns, indented, wrapping the second; a
// first column too wide puts the second on the next line.
func writeTable(w io.Writer, rows [][2]string) {
	const maxLeft, width = 26, 78
	left := 0
	for _, r := range rows {
		if n := len(r[0]); n > left && n <= maxLeft {
			left = n
		}
	}
	indent := strings.Repeat(" ", 2+left+2)
	for _, r := range rows {
		text := wrap(r[1], width, indent)
		if len(r[0]) > left {
			fmt.Fprintf(w, "  %s\n%s%s\n", r[0], indent, text)
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", left, r[0], text)
	}
}

// wrap breaks text into lines of at most width characters, the lines
// after the first starting with indent (counted in the width).
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	col := len(indent)
	for i, word := range strings.Fields(text) {
		switch {
		case i == 0:
		case col+1+len(word) > width:
			b.WriteString("\n" + indent)
			col = len(indent)
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}
