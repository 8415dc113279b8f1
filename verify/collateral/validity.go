package collateral

import (
	"crypto/x509"
	"time"
)

// NextUpdate returns the earliest nextUpdate of the TCB info, the QE
// identity, the PCK CRL and the root CA CRL: the time from which this
// collateral must no longer be used. It parses each item and fails with a
// *FormatError if one does not parse or a CRL has no nextUpdate.
func (c *Collateral) NextUpdate() (time.Time, error) {
	w, err := c.window()
	if err != nil {
		return time.Time{}, err
	}
	return w.next, nil
}

// IssueDate returns the latest issueDate of the TCB info and the QE identity
// and thisUpdate of the two CRLs: the time from which every item of this
// collateral is in force.
func (c *Collateral) IssueDate() (time.Time, error) {
	w, err := c.window()
	if err != nil {
		return time.Time{}, err
	}
	return w.issue, nil
}

// validityWindow is the intersection of the validity windows of all items.
type validityWindow struct {
	issue, next time.Time
}

// add narrows w to [issue, next).
func (w *validityWindow) add(issue, next time.Time) {
	if w.issue.IsZero() || issue.After(w.issue) {
		w.issue = issue
	}
	if w.next.IsZero() || next.Before(w.next) {
		w.next = next
	}
}

// window computes the validity window of c.
func (c *Collateral) window() (validityWindow, error) {
	var w validityWindow
	if c == nil {
		return w, formatErr("collateral", "", "expected collateral, found nil")
	}
	tcb, err := ParseTCBInfo(c.TCBInfo)
	if err != nil {
		return w, err
	}
	w.add(tcb.IssueDate, tcb.NextUpdate)
	qe, err := ParseQEIdentity(c.QEIdentity)
	if err != nil {
		return w, err
	}
	w.add(qe.IssueDate, qe.NextUpdate)
	for _, crl := range []struct {
		item string
		der  []byte
	}{{itemPCKCRL, c.PCKCRL}, {itemRootCACRL, c.RootCACRL}} {
		l, err := parseCRL(crl.item, crl.der)
		if err != nil {
			return w, err
		}
		if err := w.addCRL(crl.item, l); err != nil {
			return w, err
		}
	}
	return w, nil
}

// addCRL narrows w to the period of the CRL l, which must have a
// nextUpdate.
func (w *validityWindow) addCRL(item string, l *x509.RevocationList) error {
	if l.NextUpdate.IsZero() {
		return formatErr(item, "nextUpdate", "expected a date, found none")
	}
	w.add(l.ThisUpdate, l.NextUpdate)
	return nil
}
