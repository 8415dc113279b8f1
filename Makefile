# Shortcuts for the commands in README.md and .ci/run.

# staticcheck at the version CI installs; `go run` builds it once and caches it.
STATICCHECK ?= go run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test fuzz lint bench

# The test command from README.md.
test:
	go test -race -count=1 ./...

# Every fuzz target for FUZZTIME (default 30s) each; see scripts/fuzz.sh.
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...

# The speed goals as ratios within one run; see scripts/bench.sh.
bench:
	scripts/bench.sh
