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
//	td:                          # the TD's own configuration (TD report)
//	  attributes: [<hex>]        # TDATTRIBUTES; default: verify.CheckTDAttributes
//	  xfam: [<hex>]
//	  mrowner: [<hex>]
//	  mrownerconfig: [<hex>]
//	  mrservicetd: [<hex>]       # default: zero (verify.CheckServiceTD)
//	platform:                    # any entry may match; each field given must
//	  - {mrtd: <hex>, rtmr0: <hex>, rtmr1: <hex>, rtmr2: <hex>}
//	os_image_hashes: [<hex>]
//	app:
//	  compose_hashes: [<hex>]
//	  compose_files: [app-compose.json]  # relative to the policy file
//	  # or [{path: app-compose.json, form: sdk}]: the hash of its SDK form
//	  app_ids: [<hex>]
//	  key_providers: [{name: kms, id: <hex>}]  # or {name: none, id: ""}
//	  require_pinned_images: true
//	  allowed_scripts:           # scripts require_pinned_images accepts
//	    - {kind: pre_launch_script, sha256: <hex>}
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
// compose hashes, 20 for app ids, 8 for td attributes and xfam, 48 for
// mrowner, mrownerconfig and mrservicetd. A key provider's id is given in
// hex and is empty for the provider named "none" and for no other: dstack
// logs {"name":"none","id":""} for a CVM that has no key provider (its keys
// are random on every boot and no KMS authorizes it). A document whose
// first character is "{" is read as JSON and must be valid JSON.
//
// # Pinned images and scripts
//
// app.require_pinned_images accepts an app compose only when what it runs
// is shown pinned by the compose hash: the docker-compose runner (or bash,
// whose bash_script is then the whole application), at least one service,
// every service's image named by digest (image@sha256:...) and none built
// in the CVM, no docker-compose construct that brings in content from
// outside the compose (a top-level include, an extends of another file, a
// custom tag such as !reset), and no allowed_envs name through which the
// deployer's environment changes the code dstack runs (BASH_ENV,
// LD_PRELOAD, PATH, COMPOSE_FILE, APP_COMPOSE_FILE and others; see
// compose.App.CodeEnvs). Every script dstack runs as root beside the
// images (init_script, pre_launch_script, even when empty, and the bash
// runner's bash_script) must be listed in app.allowed_scripts by its kind
// and the SHA-256 of its exact text. allowed_scripts is not an allowlist
// of its own: it only narrows require_pinned_images, so absent and empty
// both accept no script, and listing scripts without require_pinned_images
// is a load error. FromReport lists the scripts the CVM carries; read them
// before deploying the policy, since each runs as root and may fetch and
// run anything. env_file, configs and secrets read from files, and ${VAR}
// interpolation, change what the images see, not which images run, and are
// not judged.
//
// # TCB status and grace
//
// tcb.accept lists the converged TCB statuses (verify.TCBStatus names)
// accepted without condition; "unknown", the status of a report verified
// without collateral, is accepted only when listed. Listing OutOfDate
// together with a grace is a load error, since the listing accepts it for
// ever and the grace would be misread.
//
// out_of_date_grace additionally accepts a report whose status is
// OutOfDate or OutOfDateConfigurationNeeded, for a while, when two things
// hold. First, the status without its out-of-date parts is in tcb.accept:
// the grace forgives being out of date and nothing else. That status is
// the platform's, with OutOfDate read as UpToDate and
// OutOfDateConfigurationNeeded as ConfigurationNeeded, since an out-of-date
// TDX module or QE only adds OutOfDate to it; so a SWHardeningNeeded
// platform under an out-of-date QE needs SWHardeningNeeded accepted, and an
// OutOfDateConfigurationNeeded report needs ConfigurationNeeded (or
// ConfigurationAndSWHardeningNeeded, as the platform's status says).
// Second, every part that is itself out of date (the platform at an
// OutOfDate or OutOfDateConfigurationNeeded level, a TDX module or QE at an
// OutOfDate level) fell out of date at most the grace before VerifiedAt.
// Each part is dated by its own levels (Report.PlatformOutOfDateSince,
// TDXModuleOutOfDateSince, QEOutOfDateSince): the tcbDate of the first
// newer level it missed, so that a part several updates behind gets no
// fresh grace from each new one. The TDX module and the QE get a grace of
// their own, as the platform does: their updates, like a platform's, are
// the host's to install, and their levels carry dates of their own. A part
// that is out of date without a date (no newer level) gets no grace, and
// a part that is not out of date lends its dates to none. The TD relaunch
// statuses and Revoked are never graced: list TDRelaunchAdvised to accept
// a TD that only needs a relaunch onto its updated module.
//
// # TD configuration
//
// The td section judges the TD report's own fields. Its values are hex of
// the bytes as the quote carries them, so TDATTRIBUTES and XFAM are
// little-endian ("0000001000000000" is SEPT_VE_DISABLE alone). DEBUG is
// refused unless tcb.allow_debug. td.attributes, when absent, applies
// verify.CheckTDAttributes to the other bits: the rest of the TD-under-debug
// group (bits 1-7), MIGRATABLE, TPA and the reserved bits are refused, and
// SEPT_VE_DISABLE must be set; when given, TDATTRIBUTES must equal an
// entry (an entry with DEBUG needs allow_debug: true). td.mrservicetd,
// when absent, requires a zero MRSERVICETD (no service TD bound; a TD 1.0
// report has none); when given, MRSERVICETD must equal an entry. xfam,
// mrowner and mrownerconfig are not checked unless given. FromReport
// writes every field as the report shows it, mrservicetd only when it is
// not zero.
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
