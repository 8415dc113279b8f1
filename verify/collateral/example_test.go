package collateral_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/cvmgate/cvmgate/verify/collateral"
)

// A fleet shares one PCCS; each process keeps what it fetched until the
// collateral's nextUpdate.
func ExampleNewCache() {
	pccs, err := collateral.NewPCCS("https://pccs.phala.network", collateral.HTTPOptions{
		Timeout: 10 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	src := collateral.NewCache(pccs, collateral.CacheOptions{})

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := src.Fetch(ctx, collateral.Request{FMSPC: "B0C06F000000", CA: collateral.CAPlatform})
	if err != nil {
		log.Fatal(err)
	}
	next, err := c.NextUpdate()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("collateral usable until", next)
}

// An offline bundle written by dcap-qvl, dstack or MarshalBundle serves
// every request, for air-gapped verification or reproducible tests.
func ExampleParseBundle() {
	raw, err := os.ReadFile("tdx_quote_collateral.json")
	if err != nil {
		log.Fatal(err)
	}
	c, err := collateral.ParseBundle(raw)
	if err != nil {
		log.Fatal(err)
	}
	src := collateral.Static(c, "bundle:tdx_quote_collateral.json")
	fmt.Println(src.ID())
}
