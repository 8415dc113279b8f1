// Package remote asks a hosted quote verifier for a second opinion on a
// TDX quote: Phala Cloud's (PhalaURL), or any service that answers its
// API. Local verification (package verify) always runs and decides; the
// remote verdict is shown beside it, and Compare says whether the two
// agree.
//
// Phala's verifier checks the DCAP signature chain, the collateral and
// the TCB of a quote, and nothing else: no nonce, no TLS key binding, no
// event log, no compose hash, no policy. It is compared with the local
// quote checks alone (verify.QuoteCheckNames, the policy excepted), and
// its answer is never evidence: a CVM is accepted only on local
// verification.
//
// The protocol: POST {"hex": "<quote hex>"} with a JSON content type.
// 200 answers {"success": true, "quote": {"verified": true|false, "body":
// {"reportdata": "0x..."}, ...}, "checksum": "..."}. A quote that fails
// verification is answered 400 {"detail": "Quote verification failed"},
// and one that does not parse 422 {"detail": "Invalid quote: ..."}: both
// are verdicts (refused). Any other 4xx means the request was wrong
// (ErrRequest), a 5xx, 429 or network failure that there is no verdict
// (ErrUnavailable), and an answer that cannot be read ErrAnswer.
package remote
