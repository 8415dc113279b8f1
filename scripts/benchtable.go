//go:build ignore

// benchtable reads the output of scripts/bench.sh (go test -bench lines in
// runs that each start with a "# " line) and prints the median of each
// benchmark and the ratios of cvmgate's speed goals, each ratio taken
// within a run that has both of its benchmarks.
//
// Each ratio is given twice: of wall-clock ns/op, and of cpu-ns/op, the
// CPU time of the process per operation (internal/benchcpu). On a shared
// machine the wall clock also measures the load, which changes between
// the two benchmarks of a ratio; the CPU time measures the work, and is
// what a goal is judged on when the benchmarks report it.
//
// Usage: go run scripts/benchtable.go < bench.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// goal is a ratio of two benchmarks and its upper bound.
type goal struct {
	name     string
	num, den string
	max      float64
}

// goals are the speed goals of issue 9.
var goals = []goal{
	{"warm verify / one P-256 ecdsa.Verify", "VerifyWarm", "ECDSAP256Verify", 1.3},
	{"warm verify / go-tdx-guest verify", "VerifyWarm", "GoTDXGuestVerify", 0.05},
	{"cold verify / go-tdx-guest verify", "VerifyCold", "GoTDXGuestVerify", 0.45},
	{"ParseAttestation (real dstack document) / ecdsa.Verify", "ParseAttestation", "ECDSAP256Verify", 1.0},
	{"transport request after verification / plain http.Transport", "TransportAttested", "TransportPlain", 1.03},
}

// result is one benchmark line.
type result struct {
	ns, cpu, bytes, allocs float64
}

func main() {
	var (
		order []string
		all   = map[string][]result{}
		runs  []map[string]result
	)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ") {
			runs = append(runs, map[string]result{})
			continue
		}
		name, r, ok := parse(line)
		if !ok {
			continue
		}
		if len(runs) == 0 {
			runs = append(runs, map[string]result{})
		}
		if _, seen := all[name]; !seen {
			order = append(order, name)
		}
		all[name] = append(all[name], r)
		runs[len(runs)-1][name] = r
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}

	fmt.Printf("\n%-24s %6s %12s %12s %10s %10s\n", "benchmark (median)", "runs", "ns/op", "cpu-ns/op", "B/op", "allocs/op")
	for _, name := range order {
		rs := all[name]
		fmt.Printf("%-24s %6d %12.0f %12.0f %10.0f %10.0f\n", name, len(rs),
			median(pick(rs, func(r result) float64 { return r.ns })),
			median(pick(rs, func(r result) float64 { return r.cpu })),
			median(pick(rs, func(r result) float64 { return r.bytes })),
			median(pick(rs, func(r result) float64 { return r.allocs })))
	}

	fmt.Printf("\n%-62s %8s %8s %15s %8s %4s\n", "ratio (median of per-run ratios)", "wall", "cpu", "cpu range", "goal", "met")
	failed := false
	for _, g := range goals {
		wall := ratios(runs, g, func(r result) float64 { return r.ns })
		cpu := ratios(runs, g, func(r result) float64 { return r.cpu })
		judged := cpu
		if len(cpu) == 0 {
			judged = wall
		}
		if len(judged) == 0 {
			fmt.Printf("%-62s %8s\n", g.name, "missing")
			failed = true
			continue
		}
		met := "yes"
		if median(judged) > g.max {
			met, failed = "no", true
		}
		cpuCol, rangeCol := "-", "-"
		if len(cpu) > 0 {
			cpuCol = fmt.Sprintf("%.3f", median(cpu))
			rangeCol = fmt.Sprintf("%.3f - %.3f", slices.Min(cpu), slices.Max(cpu))
		}
		fmt.Printf("%-62s %8.3f %8s %15s %8s %4s\n", g.name, median(wall), cpuCol, rangeCol, "<= "+strconv.FormatFloat(g.max, 'f', -1, 64), met)
	}
	if failed {
		os.Exit(2)
	}
}

// ratios returns the ratio of g's benchmarks in each run where both ran
// and metric is reported.
func ratios(runs []map[string]result, g goal, metric func(result) float64) []float64 {
	var out []float64
	for _, rd := range runs {
		n, okN := rd[g.num]
		d, okD := rd[g.den]
		if okN && okD && metric(n) > 0 && metric(d) > 0 {
			out = append(out, metric(n)/metric(d))
		}
	}
	return out
}

// parse reads a benchmark line such as
// "BenchmarkVerifyWarm-2  9000  130000 ns/op  6160 B/op  53 allocs/op".
func parse(line string) (string, result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return "", result{}, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		name = name[:i]
	}
	var r result
	found := false
	for i := 2; i+1 < len(f); i++ {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		switch f[i+1] {
		case "ns/op":
			r.ns, found = v, true
		case "cpu-ns/op":
			r.cpu = v
		case "B/op":
			r.bytes = v
		case "allocs/op":
			r.allocs = v
		}
	}
	return name, r, found
}

// pick maps rs with f.
func pick(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// median returns the median of v.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
