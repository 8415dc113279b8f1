package cvmtest

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// record runs the cvm handler for r and returns its answer, for the
// options that send it in a hostile way.
func (s *Server) record(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.cvm.ServeHTTP(rec, r)
	return rec
}

// serveOversized answers with the real attestation padded with spaces to
// the configured size, streamed without a Content-Length.
func (s *Server) serveOversized(w http.ResponseWriter, r *http.Request) {
	rec := s.record(r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	if _, err := w.Write(body); err != nil {
		return
	}
	if n := s.cfg.oversize - int64(len(body)); n > 0 {
		writePadding(w, r, nil, n, ' ')
	}
}

// serveTrickled sends the real answer one byte per interval, flushing
// each, until it is sent or the client goes.
func (s *Server) serveTrickled(w http.ResponseWriter, r *http.Request) {
	rec := s.record(r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.Code)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(s.cfg.trickle)
	defer tick.Stop()
	for _, b := range rec.Body.Bytes() {
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		}
		if _, err := w.Write([]byte{b}); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// floodEvent is the application event a flooding CVM repeats.
var floodEvent = func() []byte {
	b, err := eventlog.NewRuntimeEvent("flood", bytes.Repeat([]byte{0xf1}, 32)).MarshalJSON()
	if err != nil {
		panic("cvmtest: flood event: " + err.Error()) // two fixed values
	}
	return b
}()

// serveBigEventLog answers with the real quote and an event log of the
// real events and then copies of floodEvent, bigLog bytes in all with
// that Content-Length, written as the client reads.
func (s *Server) serveBigEventLog(w http.ResponseWriter, r *http.Request) {
	rec := s.record(r)
	if rec.Code != http.StatusOK {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	att, err := wire.ParseAttestation(rec.Body.Bytes())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var head bytes.Buffer
	head.WriteString(`{"quote":"` + hex.EncodeToString(att.Quote) + `","report_data":"` + hex.EncodeToString(att.ReportData) + `","event_log":[`)
	for _, e := range att.EventLog {
		b, err := e.MarshalJSON()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		head.Write(b)
		head.WriteByte(',')
	}
	tail := []byte(`]}`)
	n := s.cfg.bigLog
	if least := int64(head.Len()+len(floodEvent)+len(tail)) + 1; n < least {
		n = least
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(head.Bytes()); err != nil {
		return
	}
	// Copies of ",event" after a first event, then spaces, then the tail.
	chunk := bytes.Repeat(append([]byte{','}, floodEvent...), (32<<10)/(len(floodEvent)+1))
	left := n - int64(head.Len()) - int64(len(tail))
	if _, err := w.Write(floodEvent); err != nil {
		return
	}
	left -= int64(len(floodEvent))
	for left >= int64(len(floodEvent)+1) && r.Context().Err() == nil {
		c := chunk[:min(int64(len(chunk)), left/int64(len(floodEvent)+1)*int64(len(floodEvent)+1))]
		if _, err := w.Write(c); err != nil {
			return
		}
		left -= int64(len(c))
	}
	if left > 0 {
		if _, err := w.Write(bytes.Repeat([]byte{' '}, int(left))); err != nil {
			return
		}
	}
	_, _ = w.Write(tail)
}
