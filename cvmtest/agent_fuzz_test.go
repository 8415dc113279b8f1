package cvmtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cvmgate/cvmgate/cvmtest"
)

// FuzzAgentRequests sends arbitrary bodies and queries to the fake agent's
// methods: it never panics, answers 200 or 400 with JSON and a
// Content-Length, and never answers a report_data over 64 bytes with a
// quote.
func FuzzAgentRequests(f *testing.F) {
	a, err := cvmtest.NewAgent(cvmtest.AgentOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GetQuote", `{"report_data":"0x00ff"}`, "")
	f.Add("GetQuote", `{"report_data":"00","report_data":"01"}`, "")
	f.Add("GetTlsKey", `{"subject":"x","alt_names":["a","127.0.0.1"],"not_before":1,"not_after":2}`, "")
	f.Add("GetTlsKey", "", "subject=x&alt_names[0]=a&alt_names[1]=b&usage_server_auth=true")
	f.Add("GetQuote", "", "report_data="+strings.Repeat("ab", 65))
	f.Add("Info", "{", "json")
	f.Fuzz(func(t *testing.T, method, body, query string) {
		verb := http.MethodPost
		if body == "" && query != "" {
			verb = http.MethodGet
		}
		req := &http.Request{
			Method: verb,
			URL:    &url.URL{Path: "/" + method, RawQuery: query},
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(body)),
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
			t.Fatalf("Content-Length %q for %d bytes", rec.Header().Get("Content-Length"), rec.Body.Len())
		}
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if method == cvmtest.MethodGetQuote && rec.Code == http.StatusOK && asksOver64(verb, body, query) {
			t.Fatalf("quoted more than 64 bytes of report data: %s", rec.Body.String())
		}
	})
}

// asksOver64 reports whether a request's report_data argument, as the
// agent reads it (the query of a GET, the JSON body of a POST, the key
// exactly "report_data"), holds more than 64 bytes of hex.
func asksOver64(verb, body, query string) bool {
	var values []string
	if verb == http.MethodGet {
		q, _ := url.ParseQuery(query)
		values = q["report_data"]
	} else {
		var doc map[string]json.RawMessage
		var v string
		if json.Unmarshal([]byte(body), &doc) == nil && json.Unmarshal(doc["report_data"], &v) == nil {
			values = []string{v}
		}
	}
	for _, v := range values {
		v = strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X")
		if len(v) > 2*64 {
			return true
		}
	}
	return false
}
