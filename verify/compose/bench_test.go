package compose_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/cvmgate/cvmgate/internal/benchcpu"
	"github.com/cvmgate/cvmgate/verify/compose"
)

// benchSize is the app-compose.json size the benchmarks parse: just under
// MaxSize, so that each measures the worst a CVM can send.
const benchSize = compose.MaxSize - 4096

// fillCompose returns an app-compose.json whose docker_compose_file is
// head, then unit(i) for i = 0, 1, ... as long as the whole stays within
// benchSize, then tail.
func fillCompose(tb testing.TB, head string, unit func(i int) string, tail string) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString(head)
	// Count the text as JSON escapes it (a newline takes two bytes), with
	// room for the other members.
	size := escapedLen(head) + escapedLen(tail) + 200
	for i := 0; ; i++ {
		u := unit(i)
		if size += escapedLen(u); size > benchSize {
			break
		}
		b.WriteString(u)
	}
	b.WriteString(tail)
	raw, err := json.Marshal(map[string]any{
		"manifest_version": 2, "name": "bench", "runner": "docker-compose",
		"docker_compose_file": b.String(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(raw) > benchSize {
		tb.Fatalf("bench compose of %d bytes, over %d", len(raw), benchSize)
	}
	return raw
}

// escapedLen is the length of s inside a JSON string.
func escapedLen(s string) int {
	b, _ := json.Marshal(s)
	return len(b) - 2
}

// benchComposes are app-compose.json texts of nearly MaxSize bytes: a
// benign one, shaped like a real compose, and adversarial ones built to
// make a parser slow. Parse's cost must stay within a small multiple of
// the benign one for each.
func benchComposes(tb testing.TB) map[string][]byte {
	digest := "@" + evPinnedDigest
	service := func(i int) string {
		n := strconv.Itoa(i)
		return "  svc" + n + ":\n    image: registry.example.com/team/app" + n + digest + "\n" +
			"    restart: unless-stopped\n    ports:\n      - \"" + n + ":8080\"\n" +
			"    environment:\n      LOG_LEVEL: info\n      SERVICE_NAME: svc" + n + "\n" +
			"    volumes:\n      - data" + n + ":/data\n"
	}
	var manyTopKeys strings.Builder
	manyTopKeys.WriteString("{")
	for i := 0; manyTopKeys.Len() < benchSize-64; i++ {
		if i > 0 {
			manyTopKeys.WriteByte(',')
		}
		manyTopKeys.WriteString(`"k` + strconv.Itoa(i) + `":0`)
	}
	manyTopKeys.WriteString(`,"runner":"docker-compose"}`)
	deep := strings.Repeat("[", compose.MaxDepth-2) + strings.Repeat("]", compose.MaxDepth-2)
	return map[string][]byte{
		"benign": fillCompose(tb, "services:\n", service, ""),
		// 120,000 service keys took minutes with yaml/v3's pairwise
		// duplicate-key check.
		"many service keys":             fillCompose(tb, "services:\n", func(i int) string { return "  s" + strconv.Itoa(i) + ": {}\n" }, ""),
		"many keys in one flow mapping": fillCompose(tb, "x-big: {", func(i int) string { return "k" + strconv.Itoa(i) + ": 1, " }, "z: 1}\n"),
		"deep nesting":                  fillCompose(tb, "", func(i int) string { return "x" + strconv.Itoa(i) + ": " + deep + "\n" }, ""),
		"many small mappings":           fillCompose(tb, "x: [", func(int) string { return "{a: 1}," }, "]\n"),
		// Every service merges one anchor of many keys: a reader that
		// expands aliases reads the anchor once per service.
		"many merges of a big anchor": fillCompose(tb, "x-big: &big\n  image: x"+digest+"\n"+manyYAMLKeys(3000)+"services:\n",
			func(i int) string { return "  s" + strconv.Itoa(i) + ": {<<: *big}\n" }, ""),
		"many aliases": fillCompose(tb, "x: &a {image: x"+digest+"}\ny: [", func(int) string { return "*a," }, "*a]\n"),
		// A chain of merges, each looked up by many services.
		"merge chain": fillCompose(tb, mergeChain(compose.MaxDepth-1)+"services:\n",
			func(i int) string {
				return "  s" + strconv.Itoa(i) + ": {<<: *m" + strconv.Itoa(compose.MaxDepth-1) + "}\n"
			}, ""),
		// Long extends chains, resolved once each.
		"extends chains": fillCompose(tb, "services:\n", func(i int) string {
			if i%compose.MaxDepth == 0 {
				return "  s" + strconv.Itoa(i) + ": {image: x" + digest + "}\n"
			}
			return "  s" + strconv.Itoa(i) + ": {extends: s" + strconv.Itoa(i-1) + "}\n"
		}, ""),
		"many top-level JSON keys": []byte(manyTopKeys.String()),
	}
}

// mergeChain returns anchors m0..mn, each merging the one before.
func mergeChain(n int) string {
	var b strings.Builder
	b.WriteString("m0: &m0 {image: x@" + evPinnedDigest + "}\n")
	for i := 1; i <= n; i++ {
		b.WriteString("m" + strconv.Itoa(i) + ": &m" + strconv.Itoa(i) + " {<<: *m" + strconv.Itoa(i-1) + ", k" + strconv.Itoa(i) + ": 1}\n")
	}
	return b.String()
}

// BenchmarkParse parses composes of nearly MaxSize bytes. Compare each
// adversarial case's ns/op with "benign".
func BenchmarkParse(b *testing.B) {
	cases := benchComposes(b)
	for _, name := range []string{
		"benign", "many service keys", "many keys in one flow mapping", "deep nesting", "many small mappings",
		"many merges of a big anchor", "many aliases", "merge chain", "extends chains", "many top-level JSON keys",
	} {
		raw := cases[name]
		b.Run(name, func(b *testing.B) {
			if _, err := compose.Parse(raw); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			// On a shared machine wall time says little; the process's CPU
			// time (garbage collection included) is the cost.
			cpu := benchcpu.Start()
			for b.Loop() {
				if _, err := compose.Parse(raw); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b)
		})
	}
}
