#!/usr/bin/env bash
# bench.sh runs the benchmarks behind cvmgate's speed goals and prints the
# goals' ratios, each measured within one run on this machine.
#
# Absolute times mean little on a shared machine, so each goal is a ratio
# of two benchmarks run back to back. The test binaries are built once,
# then every benchmark runs once per round, COUNT rounds, so that a change
# of load hits both sides of a ratio alike; scripts/benchtable.go prints
# the median of each benchmark over the rounds (as benchstat does) and the
# median of each ratio's per-round values, with their range.
#
# Usage: scripts/bench.sh            (or: make bench)
# Environment: COUNT (rounds, default 5), BENCHTIME (per benchmark and
# round, default 1s), OUT (file that keeps the raw output, default a
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

verify_benchmarks='^Benchmark(ECDSAP256Verify|VerifyWarm|VerifyCold|GoTDXGuestVerify|ParseAttestation)$'
transport_benchmarks='^BenchmarkTransport(Attested|Plain)$'

: >"$out"
for round in $(seq 1 "$count"); do
	echo "# round $round" >>"$out"
	(cd verify && "$bin/verify.test" -test.run '^$' -test.bench "$verify_benchmarks" \
		-test.benchmem -test.benchtime "$benchtime") | grep '^Benchmark' >>"$out"
	(cd transport && "$bin/transport.test" -test.run '^$' -test.bench "$transport_benchmarks" \
		-test.benchmem -test.benchtime "$benchtime") | grep '^Benchmark' >>"$out"
	echo "round $round of $count done" >&2
done

echo "raw output: $out ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
go run scripts/benchtable.go <"$out"
