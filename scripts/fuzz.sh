#!/usr/bin/env bash
# Runs every fuzz target in the module, one after another, for a while each.
#
#   scripts/fuzz.sh [fuzztime]          # or: FUZZTIME=2m scripts/fuzz.sh
#
# fuzztime is a `go test -fuzztime` value: 30s by default, or a count such as
# 10000x. The script prints the executions each target reached and exits
# non-zero when any target fails. go test writes a failing input to
# testdata/fuzz/<Target>/ in the package of the target; commit that file, as
# it makes every later plain `go test` run it as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${1:-${FUZZTIME:-30s}}"

# `go test -list` prints, per package, the names that match and then the
# package's "ok" line (or a "?" line when it has no tests).
listing=$(go test -list '^Fuzz' ./...)
targets=()
names=()
while IFS= read -r line; do
	case "$line" in
	Fuzz*) names+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for name in ${names[@]+"${names[@]}"}; do
			targets+=("$pkg $name")
		done
		names=()
		;;
	'?'*) names=() ;;
	*) echo "fuzz.sh: unexpected line from go test -list: $line" >&2; exit 1 ;;
	esac
done <<<"$listing"
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

failed=()
printf '%12s  %-6s %s\n' "execs" "result" "target"
for t in "${targets[@]}"; do
	pkg=${t% *}
	name=${t#* }
	log="$logs/$name.log"
	# -fuzzminimizetime=0s: by default the fuzzer spends up to a minute
	# shrinking every input that finds new coverage, and with seeds of a few
	# kilobytes (real quotes, collateral) that minimizing eats the whole run,
	# leaving a handful of executions. Without it the time goes to fuzzing;
	# the price is that a crasher is written as found, not shrunk.
	# -run '^$' skips the unit tests, which the test command already runs.
	result=ok
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime=0s "$pkg" >"$log" 2>&1; then
		result=FAIL
		# Go before 1.27 can fail a run with a bare "context deadline
		# exceeded" as -fuzztime expires (go.dev/issue/75804): no input
		# failed, none was written. That is reported, not failed.
		if grep -q '^    context deadline exceeded$' "$log" && ! grep -q 'Failing input written' "$log"; then
			result=flake
		else
			failed+=("$t")
		fi
	fi
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | cut -d ' ' -f 2 || true)
	printf '%12s  %-6s %s\n' "${execs:-?}" "$result" "$pkg.$name"
	if [ "$result" = FAIL ]; then
		sed 's/^/    /' "$log" >&2
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo >&2
	echo "fuzz.sh: ${#failed[@]} target(s) failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	echo "Any crasher is in testdata/fuzz/<Target>/ of its package: commit it as a regression case once fixed." >&2
	exit 1
fi
