// Package policy decides whether a verified CVM is one a caller accepts.
//
// Package verify establishes facts: the quote is genuine, the event log
// replays to its RTMRs, the compose hashes to the logged compose-hash. A
// Policy, loaded from a YAML or JSON file a person can review, says which of
// those facts are acceptable: which TCB statuses, which measurements, which
// app, which channel binding. Check judges a *verify.Report against it and
// returns every violation at once.
//
// # File format
//
//	version: 1
//	tcb:
//	  accept: [UpToDate]         # default [UpToDate]
//	  out_of_date_grace: 30d     # Go duration or whole days ("30d")
//	  allow_debug: false
//	platform:                    # any entry may match; each field given must
//	  - {mrtd: <hex>, rtmr0: <hex>, rtmr1: <hex>, rtmr2: <hex>}
//	os_image_hashes: [<hex>]
//	app:
//	  compose_hashes: [<hex>]
//	  compose_files: [app-compose.json]  # relative to the policy file
//	  # or [{path: app-compose.json, form: sdk}]: the hash of its SDK form
//	  app_ids: [<hex>]
//	  key_providers: [{name: kms, id: <hex>}]
//	  require_pinned_images: true
//	  any: false
//	channel:
//	  binding: spki              # spki (default), ratls or none
//	attestation:
//	  max_age: 1h                # default 1h
//
// # Rules
//
// Every list is an allowlist. A list that is absent is not checked; a list
// that is present but empty accepts nothing. A policy must check the app:
// it must give compose_hashes, compose_files or app_ids, or say app.any:
// true, and it may not do both. Unknown keys, duplicate keys, null values,
// anchors, aliases, tags and multiple documents are load errors, so a typo
// can never silently weaken a policy. Hex values are checked at load for
// their exact length: 48 bytes for mrtd and rtmr0-2, 32 for OS image and
// compose hashes, 20 for app ids. A document whose first character is "{"
// is read as JSON and must be valid JSON.
//
// # TCB status and grace
//
// tcb.accept lists the converged TCB statuses (verify.TCBStatus names)
// accepted without condition; "unknown", the status of a report verified
// without collateral, is accepted only when listed. out_of_date_grace
// additionally accepts OutOfDate while the time between the report's
// OutOfDateSince (the tcbDate of the first TCB recovery the platform
// missed, so a platform several recoveries behind gets no fresh grace from
// each new one) and its VerifiedAt is at most the grace. A report with
// no OutOfDateSince, which is the case when only the TDX module or the QE is
// out of date, gets no grace. OutOfDateConfigurationNeeded is both out of
// date and misconfigured: the grace forgives only the first part, so it is
// accepted within the grace only when ConfigurationNeeded is itself in
// tcb.accept. Listing OutOfDate together with a grace is a load error,
// since the listing accepts it for ever and the grace would be misread.
//
// # Dstack evidence and channel binding
//
// Rules on the dstack identity (os_image_hashes and the app section) fail,
// rather than being skipped, when the report has no dstack evidence or its
// event log was not replayed to the quote's RTMR3. channel.binding must
// equal the binding the report's dstack evidence was checked with. It
// defaults to spki; an unbound channel must be accepted explicitly with
// "none". A report without dstack evidence has no binding and fails every
// channel rule.
package policy
