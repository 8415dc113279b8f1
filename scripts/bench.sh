#!/usr/bin/env bash
# bench.sh runs the benchmarks behind cvmgate's speed goals and prints the
# goals' ratios, each measured within one run on this machine.
#
# Absolute times mean little on a shared machine, so each goal is a ratio
# of two benchmarks run back to back. The test binaries are built once;
# each round runs, for every goal, its two benchmarks together in one
# invocation, so that a change of load hits both sides of a ratio alike.
# scripts/benchtable.go prints the median of each benchmark over all runs
# (as benchstat does) and, for each goal, the median of its per-round
# ratios with their range.
#
# Usage: scripts/bench.sh            (or: make bench)
# Environment: COUNT (rounds, default 5), BENCHTIME (per benchmark and
# run, default 1s), OUT (file that keeps the raw output, default a
# temporary file).
set -euo pipefail

cd "$(dirname "$0")/.."
count=${COUNT:-5}
benchtime=${BENCHTIME:-1s}
out=${OUT:-$(mktemp -t cvmgate-bench.XXXXXX)}
bin=$(mktemp -d -t cvmgate-bench-bin.XXXXXX)
trap 'rm -rf "$bin"' EXIT

go test -c -o "$bin/verify.test" ./verify
go test -c -o "$bin/transport.test" ./transport

# The goals: package, then the two benchmarks whose ratio is the goal.
goals=(
	"verify VerifyWarm ECDSAP256Verify"
	"verify VerifyWarm GoTDXGuestVerify"
	"verify VerifyCold GoTDXGuestVerify"
	"verify ParseAttestation ECDSAP256Verify"
	"transport TransportAttested TransportPlain"
)

: >"$out"
for round in $(seq 1 "$count"); do
	for goal in "${goals[@]}"; do
		read -r pkg num den <<<"$goal"
		echo "# round $round: $num / $den" >>"$out"
		(cd "$pkg" && "$bin/$pkg.test" -test.run '^$' -test.bench "^Benchmark($num|$den)\$" \
			-test.benchmem -test.benchtime "$benchtime") | grep '^Benchmark' >>"$out"
	done
	echo "round $round of $count done" >&2
done

echo "raw output: $out ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
go run scripts/benchtable.go <"$out"
