package pck_test

import (
	"fmt"

	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/cvmgate/cvmgate/verify/pck"
	"github.com/cvmgate/cvmgate/verify/quote"
)

func ExampleParseExtensions() {
	// The PCK leaf of a real quote (go-tdx-guest's SPR test vector).
	q, err := quote.Parse(testdata.RawQuote[:4935])
	if err != nil {
		fmt.Println(err)
		return
	}
	chain, err := q.PCKChain()
	if err != nil {
		fmt.Println(err)
		return
	}
	ext, err := pck.ParseExtensions(chain[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("FMSPC:", ext.FMSPCHex())
	fmt.Println("PCE-ID:", ext.PCEIDHex())
	fmt.Println("PCESVN:", ext.TCB.PCESVN)
	fmt.Println("CPUSVN components:", ext.TCB.CPUSVNComponents[:8])
	// Output:
	// FMSPC: 50806F000000
	// PCE-ID: 0000
	// PCESVN: 11
	// CPUSVN components: [3 3 2 2 2 1 0 2]
}

func ExampleExtensions_Marshal() {
	e := &pck.Extensions{
		PPID:    make([]byte, pck.PPIDSize),
		TCB:     pck.TCB{CPUSVNComponents: [16]uint8{4, 4, 2, 2, 4, 1, 0, 5}, PCESVN: 13},
		FMSPC:   [6]byte{0x90, 0xc0, 0x6f, 0, 0, 0},
		SGXType: pck.SGXTypeScalable,
	}
	ext, err := e.Marshal()
	if err != nil {
		fmt.Println(err)
		return
	}
	// ext goes into x509.Certificate.ExtraExtensions of a test PCK leaf.
	fmt.Println(ext.Id, ext.Critical, len(ext.Value))
	// Output:
	// 1.2.840.113741.1.13.1 false 452
}
