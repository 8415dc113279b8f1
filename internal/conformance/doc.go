// Package conformance holds cvmgate's hostile-input conformance table: one
// ordinary test, TestConformance, of named cases across quote, collateral,
// event log, compose, binding, policy and transport, each an input a
// hostile CVM, collateral service, network or policy author could produce,
// built with package cvmtest and run through the public API (verify.Verifier,
// the wire parsers, policy.Load and policy.Parse, transport.Transport
// against cvmtest servers), with the verify.Kind that verify.KindOf must
// give its refusal.
//
// A case is named "area/threat" so that a failure says which threat got
// through or was misclassified. The package has no code of its own: it
// exists for its test, which go test ./... runs with the others.
package conformance
