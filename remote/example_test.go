package remote_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/cvmgate/cvmgate/remote"
	"github.com/cvmgate/cvmgate/verify"
)

// A second opinion beside local verification: the local verdict decides,
// and a disagreement is an error of its own kind.
func ExampleClient_Verify() {
	// A stand-in for https://cloud-api.phala.network/api/v1/attestations/verify
	// (remote.PhalaURL) that refuses every quote.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"detail":"Quote verification failed"}`)
	}))
	defer fake.Close()

	c, err := remote.New(fake.URL, remote.Options{})
	if err != nil {
		panic(err)
	}
	rawQuote := []byte{4, 0, 2, 0} // what the CVM sent
	v, err := c.Verify(context.Background(), rawQuote)
	if err != nil {
		fmt.Println("no remote verdict:", err)
		return
	}
	fmt.Println("remote verified:", v.Verified, v.Detail)

	// local is the report of verify.Verifier.Verify on the same quote:
	// here, one whose every check passed.
	local := &verify.Report{}
	for _, n := range verify.QuoteCheckNames() {
		local.Checks = append(local.Checks, verify.CheckResult{Name: n, Outcome: verify.Passed})
	}
	agreement, err := remote.Compare(local, v)
	fmt.Println(agreement, verify.KindOf(err))
	// Output:
	// remote verified: false Quote verification failed
	// disagrees remote_disagreement
}
