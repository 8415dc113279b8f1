package transport

import (
	"fmt"
	"time"

	"github.com/cvmgate/cvmgate/verify"
)

// PinOrigins pins n origins, each one key with a verdict made from
// report(i), as a Transport keeps them after n attestations, and returns
// what holds them. For the memory test, which lives in transport_test
// because it builds reports with cvmtest, and cvmtest imports transport.
func PinOrigins(n int, report func(i int) *verify.Report) any {
	origins := make([]*origin, n)
	now := time.Now()
	for i := range origins {
		o := newOrigin(fmt.Sprintf("https://cvm-%05d.example:443", i))
		k := keyID{byte(i), byte(i >> 8)}
		o.pin(k, &verdict{Verdict: newVerdict(o.name, k, report(i), now.Add(time.Hour))}, now)
		origins[i] = o
	}
	return origins
}

// RequiresHTTP1 exposes requiresHTTP1 to the upgrade tests.
var RequiresHTTP1 = requiresHTTP1
