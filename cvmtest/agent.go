package cvmtest

import (
	"crypto/ecdsa"
	"crypto/x509"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cvmgate/cvmgate/verify/eventlog"
)

// Agent methods the fake guest agent serves.
const (
	MethodGetQuote  = "GetQuote"
	MethodInfo      = "Info"
	MethodGetTLSKey = "GetTlsKey"
	MethodVersion   = "Version"
)

// DefaultAgentVersion is the version a fake Agent reports.
const DefaultAgentVersion = "0.6.0"

// maxAgentBody is the real agent's request body limit (Rocket's default
// for a method without its own).
const maxAgentBody = 10 << 20

// AgentOptions configures NewAgent. The zero value simulates the default
// App on the default PKI.
type AgentOptions struct {
	// PKI signs quotes. Nil means the default PKI (PKIOptions{}), made
	// once per process and shared.
	PKI *PKI
	// App is the application the simulated CVM runs.
	App App
	// Quote is the template of every quote. ReportData, RTMRs and
	// MRConfigID are set per quote from the request and the App.
	Quote QuoteOptions
	// VMConfig is the vm_config string of GetQuote and Info answers. Empty
	// means DefaultVMConfig.
	VMConfig string
	// Version is what Version answers. Empty means DefaultAgentVersion.
	Version string
	// EditEventLog, if set, edits the event log of each GetQuote answer
	// after its quote was made, to simulate a CVM that lies about its
	// log. It gets a copy.
	EditEventLog func([]eventlog.Event) []eventlog.Event
	// Now returns the time for GetTlsKey's default validity. Nil means
	// time.Now.
	Now func() time.Time
}

// Agent is a fake dstack guest agent: an http.Handler answering GetQuote,
// Info, GetTlsKey and Version on the paths, in the JSON shapes and with
// the status codes of the real agent's dstack.sock, signing quotes with a
// test PKI for an App. Serve it with Listen or StartAgent, or mount it
// anywhere. It is safe for concurrent use.
//
// As the real agent, it answers POST (the body holds the arguments) and
// GET (the query does), in JSON when the request is a GET, names ?json, or
// has a JSON content type; hex comes without 0x and is read with or
// without; errors are 400 {"error": "..."} pretty-printed; every answer
// has a Content-Length. Where the real agent would speak protobuf (a POST
// without a JSON content type) the fake answers 415. GetQuote's event log
// is stripped as the real agent strips it (boot payloads and runtime
// digests empty); Info's tcb_info holds the full log.
type Agent struct {
	pki      *PKI
	app      App
	quote    QuoteOptions
	vmConfig string
	version  string
	edit     func([]eventlog.Event) []eventlog.Event
	now      func() time.Time

	caOnce sync.Once
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caErr  error

	calls [4]atomic.Int64
}

// NewAgent returns a fake guest agent for opts.
func NewAgent(opts AgentOptions) (*Agent, error) {
	a := &Agent{
		pki: opts.PKI, app: opts.App, quote: opts.Quote, vmConfig: opts.VMConfig,
		version: opts.Version, edit: opts.EditEventLog, now: opts.Now,
	}
	if a.pki == nil {
		p, err := defaultPKI()
		if err != nil {
			return nil, err
		}
		a.pki = p
	}
	if a.vmConfig == "" {
		a.vmConfig = DefaultVMConfig
	}
	if a.version == "" {
		a.version = DefaultAgentVersion
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// defaultPKI is the PKI of PKIOptions{}, made once.
var defaultPKI = sync.OnceValues(func() (*PKI, error) { return NewPKI(PKIOptions{}) })

// PKI returns the PKI that signs the agent's quotes.
func (a *Agent) PKI() *PKI { return a.pki }

// App returns the application the agent simulates.
func (a *Agent) App() App { return a.app }

// Calls returns how many requests reached method (MethodGetQuote and so
// on), answered or refused.
func (a *Agent) Calls(method string) int64 {
	if i := methodIndex(method); i >= 0 {
		return a.calls[i].Load()
	}
	return 0
}

// methodIndex is the index of a served method, or -1.
func methodIndex(method string) int {
	switch method {
	case MethodGetQuote:
		return 0
	case MethodInfo:
		return 1
	case MethodGetTLSKey:
		return 2
	case MethodVersion:
		return 3
	}
	return -1
}

// ServeHTTP implements http.Handler with the real agent's routing: one
// path segment naming the method, POST or GET.
func (a *Agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/")
	if method == "" || strings.Contains(method, "/") || (r.Method != http.MethodPost && r.Method != http.MethodGet) {
		// Rocket has no route for these: its default 404 catcher.
		agentNotFound(w)
		return
	}
	if !jsonMode(r) {
		agentError(w, http.StatusUnsupportedMediaType, "cvmtest agent: protobuf requests are not simulated; send Content-Type: application/json (the real agent would read this body as protobuf)")
		return
	}
	i := methodIndex(method)
	if i < 0 {
		agentError(w, http.StatusBadRequest, "Service not found: "+method)
		return
	}
	a.calls[i].Add(1)
	args, err := readArgs(r)
	if err != nil {
		agentError(w, http.StatusBadRequest, err.Error())
		return
	}
	var body []byte
	switch method {
	case MethodGetQuote:
		body, err = a.getQuote(args)
	case MethodInfo:
		body, err = a.info()
	case MethodGetTLSKey:
		body, err = a.getTLSKey(args)
	case MethodVersion:
		body, err = a.versionAnswer()
	}
	if err != nil {
		agentError(w, http.StatusBadRequest, err.Error())
		return
	}
	agentWrite(w, http.StatusOK, body)
}

// jsonMode reports whether the real agent would read and answer r as JSON:
// a GET, a query naming json, or a JSON content type (any parameters).
func jsonMode(r *http.Request) bool {
	if r.Method == http.MethodGet {
		return true
	}
	if _, ok := r.URL.Query()["json"]; ok {
		return true
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}
