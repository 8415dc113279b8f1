package transport

import (
	"github.com/cvmgate/cvmgate/verify"
	"github.com/cvmgate/cvmgate/verify/quote"
)

// Compact returns what the Transport keeps of a verified report: every
// field a policy and an audit log need, without the raw quote, its
// certificate chain or signatures, the event log or the compose text.
func Compact(r *verify.Report) *verify.Report {
	c := *r
	if r.Quote != nil {
		c.Quote = &quote.Quote{Header: r.Quote.Header, BodyType: r.Quote.BodyType, Body: r.Quote.Body}
	}
	if r.Dstack != nil {
		d := *r.Dstack
		d.Events = nil
		if d.Compose != nil {
			cc := *d.Compose
			cc.Raw = ""
			d.Compose = &cc
		}
		c.Dstack = &d
	}
	return &c
}
