package cvmtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"time"

	"github.com/cvmgate/cvmgate/verify/eventlog"
	"github.com/cvmgate/cvmgate/wire"
)

// getQuote answers GetQuote{report_data}: a quote over report_data padded
// to 64 bytes, with the stripped event log.
func (a *Agent) getQuote(args agentArgs) ([]byte, error) {
	f, err := args.fields(map[string]fieldKind{"report_data": kindBytes})
	if err != nil {
		return nil, err
	}
	rd, _ := f["report_data"].([]byte)
	if len(rd) > wire.ReportDataSize {
		return nil, agentText("Report data is too long")
	}
	opts := a.quote
	opts.ReportData = [wire.ReportDataSize]byte{}
	copy(opts.ReportData[:], rd)
	att, err := a.pki.AttestationDocument(&a.app, opts)
	if err != nil {
		return nil, err
	}
	att.VMConfig = a.vmConfig
	att.EventLog = strippedLog(att.EventLog)
	if a.edit != nil {
		att.EventLog = a.edit(att.EventLog)
	}
	return att.MarshalJSON()
}

// strippedLog returns a copy of events as GetQuote logs them: boot events
// keep their digest and lose their payload (except dstack's named ACPI
// events), runtime events keep their payload and lose their digest.
func strippedLog(events []eventlog.Event) []eventlog.Event {
	out := make([]eventlog.Event, len(events))
	for i, e := range events {
		switch {
		case e.IMR == 3 && e.EventType == eventlog.EventTypeDstackRuntime:
			e.Digest = nil
		case len(e.Event) < 5 || e.Event[:5] != "acpi-":
			e.Payload = nil
		}
		out[i] = e
	}
	return out
}

// agentInfo is the real agent's AppInfo answer, fields in proto order.
type agentInfo struct {
	AppID           string `json:"app_id"`
	InstanceID      string `json:"instance_id"`
	AppCert         string `json:"app_cert"`
	TCBInfo         string `json:"tcb_info"`
	AppName         string `json:"app_name"`
	DeviceID        string `json:"device_id"`
	MRAggregated    string `json:"mr_aggregated"`
	OSImageHash     string `json:"os_image_hash"`
	KeyProviderInfo string `json:"key_provider_info"`
	ComposeHash     string `json:"compose_hash"`
	VMConfig        string `json:"vm_config"`
	CloudVendor     string `json:"cloud_vendor"`
	CloudProduct    string `json:"cloud_product"`
}

// agentTCBInfo is the JSON the real agent puts, pretty-printed, into
// tcb_info.
type agentTCBInfo struct {
	MRTD         string           `json:"mrtd"`
	RTMR0        string           `json:"rtmr0"`
	RTMR1        string           `json:"rtmr1"`
	RTMR2        string           `json:"rtmr2"`
	RTMR3        string           `json:"rtmr3"`
	MRAggregated string           `json:"mr_aggregated"`
	OSImageHash  string           `json:"os_image_hash"`
	ComposeHash  string           `json:"compose_hash"`
	DeviceID     string           `json:"device_id"`
	EventLog     []eventlog.Event `json:"event_log"`
	AppCompose   string           `json:"app_compose"`
}

// guestDeviceID is the device id a guest reports: SHA-256 of nothing.
var guestDeviceID = sha256.Sum256(nil)

// info answers Info: the app's identity, and tcb_info with the
// measurements of the quote the real agent makes for it and the full log.
func (a *Agent) info() ([]byte, error) {
	events := a.app.EventLog()
	rtmrs, err := RTMRs(events)
	if err != nil {
		return nil, err
	}
	mrConfig := a.app.MRConfigID()
	agg := mrAggregated(a.quote.MRTD, rtmrs, mrConfig, a.quote.MROwner, a.quote.MROwnerConfig)
	h := a.app.ComposeHash()
	appID, instanceID, osImage, kp := a.app.Identity()
	kpJSON, err := json.Marshal(kp)
	if err != nil {
		return nil, err
	}
	tcb, err := marshalAgentJSON(agentTCBInfo{
		MRTD:  hex.EncodeToString(a.quote.MRTD[:]),
		RTMR0: hex.EncodeToString(rtmrs[0][:]), RTMR1: hex.EncodeToString(rtmrs[1][:]),
		RTMR2: hex.EncodeToString(rtmrs[2][:]), RTMR3: hex.EncodeToString(rtmrs[3][:]),
		MRAggregated: hex.EncodeToString(agg[:]),
		OSImageHash:  hex.EncodeToString(osImage),
		ComposeHash:  hex.EncodeToString(h[:]),
		DeviceID:     hex.EncodeToString(guestDeviceID[:]),
		EventLog:     events,
		AppCompose:   a.app.ComposeText(),
	}, "  ")
	if err != nil {
		return nil, err
	}
	return marshalAgentJSON(agentInfo{
		AppID:           hex.EncodeToString(appID),
		InstanceID:      hex.EncodeToString(instanceID),
		TCBInfo:         string(tcb),
		AppName:         composeName(a.app.ComposeText()),
		DeviceID:        hex.EncodeToString(guestDeviceID[:]),
		MRAggregated:    hex.EncodeToString(agg[:]),
		OSImageHash:     hex.EncodeToString(osImage),
		KeyProviderInfo: string(kpJSON),
		ComposeHash:     hex.EncodeToString(h[:]),
		VMConfig:        a.vmConfig,
		CloudVendor:     "cvmtest",
		CloudProduct:    "simulated dstack CVM",
	}, "")
}

// mrAggregated is dstack's SHA-256(MRTD || RTMR0..3), followed by
// MR_CONFIG_ID, MR_OWNER and MR_OWNER_CONFIG when any is non-zero.
func mrAggregated(mrtd [48]byte, rtmrs [4][48]byte, cfg, owner, ownerCfg [48]byte) [32]byte {
	h := sha256.New()
	h.Write(mrtd[:])
	for _, r := range rtmrs {
		h.Write(r[:])
	}
	if cfg != ([48]byte{}) || owner != ([48]byte{}) || ownerCfg != ([48]byte{}) {
		h.Write(cfg[:])
		h.Write(owner[:])
		h.Write(ownerCfg[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// composeName is the app-compose "name", which the agent reports as
// app_name; "" when the compose has none.
func composeName(compose string) string {
	var c struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal([]byte(compose), &c)
	return c.Name
}

// tlsKeyFields are GetTlsKey's arguments.
var tlsKeyFields = map[string]fieldKind{
	"subject":           kindString,
	"alt_names":         kindStrings,
	"usage_ra_tls":      kindBool,
	"usage_server_auth": kindBool,
	"usage_client_auth": kindBool,
	"not_before":        kindU64,
	"not_after":         kindU64,
	"with_app_info":     kindBool,
}

// oidDstackUsage is dstack's certificate usage extension ("app:custom"),
// and oidDstackAppID its app id extension (KMS-issued certificates).
var (
	oidDstackUsage = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 62397, 1, 4}
	oidDstackAppID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 62397, 1, 3}
)

// rcgenNotBefore is the notBefore of a certificate the agent makes without
// one: rcgen's default.
var rcgenNotBefore = time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC)

// getTLSKey answers GetTlsKey: a fresh P-256 key as PKCS#8 PEM and its
// certificate chain, leaf first. The leaf is signed by the app's CA, which
// the PKI's TLS CA signs (the KMS layout: leaf, app CA, root); for a key
// provider other than "kms" the chain ends at the app CA, as a local CA's
// does. RA-TLS and app info extensions are not simulated.
func (a *Agent) getTLSKey(args agentArgs) ([]byte, error) {
	f, err := args.fields(tlsKeyFields)
	if err != nil {
		return nil, err
	}
	nb, _ := f["not_before"].(*uint64)
	na, _ := f["not_after"].(*uint64)
	if nb != nil && na != nil && *nb >= *na {
		return nil, errors.New("not_before must be earlier than not_after")
	}
	opts := TLSCertOptions{NotBefore: rcgenNotBefore, NotAfter: a.now().AddDate(10, 0, 0)}
	opts.Subject, _ = f["subject"].(string)
	opts.AltNames, _ = f["alt_names"].([]string)
	opts.ServerAuth, _ = f["usage_server_auth"].(bool)
	opts.ClientAuth, _ = f["usage_client_auth"].(bool)
	if nb != nil {
		opts.NotBefore = time.Unix(int64(*nb), 0)
	}
	if na != nil {
		opts.NotAfter = time.Unix(int64(*na), 0)
	}
	ca, caKey, err := a.appTLSCA()
	if err != nil {
		return nil, err
	}
	appID, _, _, kp := a.app.Identity()
	extra, err := dstackExtensions(appID, kp.Name == "kms")
	if err != nil {
		return nil, err
	}
	leaf, key, err := issueLeaf(opts, extra, ca, caKey)
	if err != nil {
		return nil, err
	}
	keyPEM, err := pemKey(key)
	if err != nil {
		return nil, err
	}
	chain := []string{pemCert(leaf), pemCert(ca.Raw)}
	if kp.Name == "kms" {
		chain = append(chain, pemCert(a.pki.TLSCA.Raw))
	}
	return marshalAgentJSON(struct {
		Key              string   `json:"key"`
		CertificateChain []string `json:"certificate_chain"`
	}{string(keyPEM), chain}, "")
}

// appTLSCA returns the app's CA, made once.
func (a *Agent) appTLSCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	a.caOnce.Do(func() {
		appID, _, _, _ := a.app.Identity()
		a.ca, a.caKey, a.caErr = a.pki.appCA(appID)
	})
	return a.ca, a.caKey, a.caErr
}

// dstackExtensions returns the extensions dstack puts on an app's leaf:
// the usage "app:custom", and the app id when a KMS signs it. Each value
// is a DER OCTET STRING wrapping the content.
func dstackExtensions(appID []byte, kms bool) ([]pkix.Extension, error) {
	usage, err := asn1.Marshal([]byte("app:custom"))
	if err != nil {
		return nil, err
	}
	exts := []pkix.Extension{{Id: oidDstackUsage, Value: usage}}
	if kms {
		id, err := asn1.Marshal(appID)
		if err != nil {
			return nil, err
		}
		exts = append(exts, pkix.Extension{Id: oidDstackAppID, Value: id})
	}
	return exts, nil
}

// pemCert encodes one DER certificate as PEM.
func pemCert(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// versionAnswer answers Version.
func (a *Agent) versionAnswer() ([]byte, error) {
	return marshalAgentJSON(struct {
		Version string `json:"version"`
		Rev     string `json:"rev"`
	}{a.version, "cvmtest"}, "")
}

// marshalAgentJSON encodes v as serde_json does: no HTML escaping, compact
// or indented by indent, no trailing newline.
func marshalAgentJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
