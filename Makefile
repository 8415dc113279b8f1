# Developer targets. See scripts/bench.sh for what bench measures.

.PHONY: bench
bench:
	scripts/bench.sh
