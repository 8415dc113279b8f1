package collateral

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/internal/testvectors"
)

func TestParseTCBInfoReal(t *testing.T) {
	info, err := ParseTCBInfo(realTCBInfo(t))
	require.NoError(t, err)
	assert.Equal(t, "TDX", info.ID)
	assert.Equal(t, 3, info.Version)
	assert.Equal(t, HexBytes{0x50, 0x80, 0x6f, 0, 0, 0}, info.FMSPC, "lower-case hex fmspc")
	assert.Equal(t, time.Date(2023, 7, 18, 8, 42, 58, 0, time.UTC), info.NextUpdate)
	require.NotEmpty(t, info.TCBLevels)
	assert.Len(t, info.TCBLevels[0].TCB.SGXComponents, numTCBComponents)
	assert.Len(t, info.TCBLevels[0].TCB.TDXComponents, numTCBComponents)
	require.NotNil(t, info.TDXModule)
	assert.Len(t, info.TDXModule.MRSigner, seamMRSignerSize)
}

func TestParseTCBInfoVector(t *testing.T) {
	var bundle map[string]string
	require.NoError(t, json.Unmarshal(testvectors.Read(t, "dcap-qvl/tdx_quote_collateral.json"), &bundle))
	info, err := ParseTCBInfo([]byte(bundle["tcb_info"]))
	require.NoError(t, err)
	assert.Equal(t, "B0C06F000000", fmtHex(info.FMSPC))
	require.Len(t, info.TDXModuleIdentities, 2)
	assert.Equal(t, "TDX_03", info.TDXModuleIdentities[0].ID)
	assert.Equal(t, uint16(3), info.TDXModuleIdentities[0].TCBLevels[0].TCB.ISVSVN)
	assert.Equal(t, []string{"INTEL-SA-00106"}, info.TCBLevels[1].AdvisoryIDs[:1])

	qe, err := ParseQEIdentity([]byte(bundle["qe_identity"]))
	require.NoError(t, err)
	assert.Equal(t, "TD_QE", qe.ID)
	assert.Equal(t, uint16(2), qe.ISVProdID)
}

// fmtHex renders b as Intel does, through MarshalJSON.
func fmtHex(b HexBytes) string {
	out, _ := b.MarshalJSON()
	return string(out[1 : len(out)-1])
}

// level returns the i-th platform TCB level of a decoded TCB info map.
func level(m map[string]any, i int) map[string]any {
	return m["tcbLevels"].([]any)[i].(map[string]any)
}

func TestParseTCBInfoShape(t *testing.T) {
	base := realTCBInfo(t)
	tests := []struct {
		name      string
		raw       []byte
		wantField string
	}{
		{name: "missing id", raw: mutate(t, base, func(m map[string]any) { delete(m, "id") }), wantField: "id"},
		{name: "missing version", raw: mutate(t, base, func(m map[string]any) { delete(m, "version") }), wantField: "version"},
		{name: "missing issueDate", raw: mutate(t, base, func(m map[string]any) { delete(m, "issueDate") }), wantField: "issueDate"},
		{name: "missing nextUpdate", raw: mutate(t, base, func(m map[string]any) { delete(m, "nextUpdate") }), wantField: "nextUpdate"},
		{name: "missing tcbLevels", raw: mutate(t, base, func(m map[string]any) { delete(m, "tcbLevels") }), wantField: "tcbLevels"},
		{name: "missing fmspc", raw: mutate(t, base, func(m map[string]any) { delete(m, "fmspc") }), wantField: "fmspc"},
		{name: "null nextUpdate", raw: mutate(t, base, func(m map[string]any) { m["nextUpdate"] = nil }), wantField: "nextUpdate"},
		{name: "version as string", raw: mutate(t, base, func(m map[string]any) { m["version"] = "3" }), wantField: "version"},
		{name: "tcbLevels as object", raw: mutate(t, base, func(m map[string]any) { m["tcbLevels"] = map[string]any{} }), wantField: "tcbLevels"},
		{name: "empty tcbLevels", raw: mutate(t, base, func(m map[string]any) { m["tcbLevels"] = []any{} }), wantField: "tcbLevels"},
		{name: "short fmspc", raw: mutate(t, base, func(m map[string]any) { m["fmspc"] = "50806f0000" }), wantField: "fmspc"},
		{name: "long pceId", raw: mutate(t, base, func(m map[string]any) { m["pceId"] = "000000" }), wantField: "pceId"},
		{name: "short module mrsigner", raw: mutate(t, base, func(m map[string]any) {
			m["tdxModule"].(map[string]any)["mrsigner"] = "00"
		}), wantField: "tdxModule.mrsigner"},
		{name: "15 sgx components", raw: mutate(t, base, func(m map[string]any) {
			tcb := level(m, 0)["tcb"].(map[string]any)
			tcb["sgxtcbcomponents"] = tcb["sgxtcbcomponents"].([]any)[1:]
		}), wantField: "tcbLevels[0].tcb.sgxtcbcomponents"},
		{name: "17 tdx components", raw: mutate(t, base, func(m map[string]any) {
			tcb := level(m, 1)["tcb"].(map[string]any)
			c := tcb["tdxtcbcomponents"].([]any)
			tcb["tdxtcbcomponents"] = append(c, c[0])
		}), wantField: "tcbLevels[1].tcb.tdxtcbcomponents"},
		{name: "TDX level without tdx components", raw: mutate(t, base, func(m map[string]any) {
			delete(level(m, 0)["tcb"].(map[string]any), "tdxtcbcomponents")
		}), wantField: "tcbLevels[0].tcb.tdxtcbcomponents"},
		{name: "empty tcbStatus", raw: mutate(t, base, func(m map[string]any) { level(m, 0)["tcbStatus"] = "" }), wantField: "tcbLevels[0].tcbStatus"},
		{name: "missing tcbDate", raw: mutate(t, base, func(m map[string]any) { delete(level(m, 0), "tcbDate") }), wantField: "tcbLevels[0].tcbDate"},
		{name: "svn over 255", raw: mutate(t, base, func(m map[string]any) {
			level(m, 0)["tcb"].(map[string]any)["sgxtcbcomponents"].([]any)[0].(map[string]any)["svn"] = 256
		}), wantField: "tcbLevels.tcb.sgxtcbcomponents.svn"},
		{name: "negative pcesvn", raw: mutate(t, base, func(m map[string]any) {
			level(m, 0)["tcb"].(map[string]any)["pcesvn"] = -1
		}), wantField: "tcbLevels.tcb.pcesvn"},
		{name: "module identity without id", raw: mutate(t, base, func(m map[string]any) {
			m["tdxModuleIdentities"] = []any{map[string]any{
				"mrsigner": string(make([]byte, 0)), "attributes": "", "attributesMask": "", "tcbLevels": []any{},
			}}
		}), wantField: "tdxModuleIdentities[0].id"},
		{name: "missing tcbType", raw: mutate(t, base, func(m map[string]any) { delete(m, "tcbType") }), wantField: "tcbType"},
		{name: "missing tcbEvaluationDataNumber", raw: mutate(t, base, func(m map[string]any) { delete(m, "tcbEvaluationDataNumber") }),
			wantField: "tcbEvaluationDataNumber"},
		{name: "TDX without tdxModule", raw: mutate(t, base, func(m map[string]any) { delete(m, "tdxModule") }), wantField: "tdxModule"},
		{name: "null tdxModule", raw: mutate(t, base, func(m map[string]any) { m["tdxModule"] = nil }), wantField: "tdxModule"},
		{name: "empty tdxModuleIdentities", raw: mutate(t, base, func(m map[string]any) { m["tdxModuleIdentities"] = []any{} }),
			wantField: "tdxModuleIdentities"},
		{name: "null tdxModuleIdentities", raw: mutate(t, base, func(m map[string]any) { m["tdxModuleIdentities"] = nil }),
			wantField: "tdxModuleIdentities"},
		{name: "bad hex", raw: mutate(t, base, func(m map[string]any) { m["fmspc"] = "ZZ806f000000" })},
		{name: "bad date", raw: mutate(t, base, func(m map[string]any) { m["issueDate"] = "yesterday" })},
		{name: "array", raw: []byte(`[]`)},
		{name: "null", raw: []byte(`null`)},
		{name: "empty", raw: nil},
		{name: "trailing data", raw: append(append([]byte{}, base...), " {}"...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ParseTCBInfo(tt.raw)
			require.Error(t, err)
			assert.Nil(t, info)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.NotErrorIs(t, err, ErrUnavailable)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, itemTCBInfo, fe.Item)
			if tt.wantField != "" {
				assert.Equal(t, tt.wantField, fe.Field, "error: %v", err)
			}
		})
	}
}

func TestParseTCBInfoSGXLevelsNeedNoTDXComponents(t *testing.T) {
	raw := mutate(t, realTCBInfo(t), func(m map[string]any) {
		m["id"] = "SGX"
		delete(m, "tdxModule")
		for _, l := range m["tcbLevels"].([]any) {
			delete(l.(map[string]any)["tcb"].(map[string]any), "tdxtcbcomponents")
		}
	})
	info, err := ParseTCBInfo(raw)
	require.NoError(t, err)
	assert.Empty(t, info.TCBLevels[0].TCB.TDXComponents)
}

// TestParseTCBInfoModuleIdentitiesOptional: like Intel's QVL, a TDX TCB
// info may leave tdxModuleIdentities out; then no module major version
// other than 0 has an identity.
func TestParseTCBInfoModuleIdentitiesOptional(t *testing.T) {
	info, err := ParseTCBInfo(mutate(t, realTCBInfo(t), func(m map[string]any) { delete(m, "tdxModuleIdentities") }))
	require.NoError(t, err)
	assert.Nil(t, info.TDXModuleIdentities)
	require.NotNil(t, info.TDXModule)
}

func TestParseQEIdentityReal(t *testing.T) {
	qe, err := ParseQEIdentity(realQEIdentity(t))
	require.NoError(t, err)
	assert.Equal(t, "TD_QE", qe.ID)
	assert.Equal(t, 2, qe.Version)
	assert.Equal(t, "DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5", fmtHex(qe.MRSigner))
	assert.Equal(t, "FBFFFFFFFFFFFFFF0000000000000000", fmtHex(qe.AttributesMask))
	require.NotEmpty(t, qe.TCBLevels)
	assert.NotEmpty(t, qe.TCBLevels[0].TCBStatus)
}

func TestParseQEIdentityShape(t *testing.T) {
	base := realQEIdentity(t)
	tests := []struct {
		name      string
		raw       []byte
		wantField string
	}{
		{name: "missing mrsigner", raw: mutate(t, base, func(m map[string]any) { delete(m, "mrsigner") }), wantField: "mrsigner"},
		{name: "missing isvprodid", raw: mutate(t, base, func(m map[string]any) { delete(m, "isvprodid") }), wantField: "isvprodid"},
		{name: "missing attributesMask", raw: mutate(t, base, func(m map[string]any) { delete(m, "attributesMask") }), wantField: "attributesMask"},
		{name: "missing tcbEvaluationDataNumber", raw: mutate(t, base, func(m map[string]any) { delete(m, "tcbEvaluationDataNumber") }),
			wantField: "tcbEvaluationDataNumber"},
		{name: "short miscselect", raw: mutate(t, base, func(m map[string]any) { m["miscselect"] = "00" }), wantField: "miscselect"},
		{name: "short attributes mask", raw: mutate(t, base, func(m map[string]any) { m["attributesMask"] = "FBFF" }), wantField: "attributesMask"},
		{name: "long mrsigner", raw: mutate(t, base, func(m map[string]any) { m["mrsigner"] = m["mrsigner"].(string) + "00" }), wantField: "mrsigner"},
		{name: "no levels", raw: mutate(t, base, func(m map[string]any) { m["tcbLevels"] = []any{} }), wantField: "tcbLevels"},
		{name: "empty status", raw: mutate(t, base, func(m map[string]any) {
			m["tcbLevels"].([]any)[0].(map[string]any)["tcbStatus"] = ""
		}), wantField: "tcbLevels[0].tcbStatus"},
		{name: "isvsvn as string", raw: mutate(t, base, func(m map[string]any) {
			m["tcbLevels"].([]any)[0].(map[string]any)["tcb"] = map[string]any{"isvsvn": "4"}
		}), wantField: "tcbLevels.tcb.isvsvn"},
		{name: "isvprodid over 65535", raw: mutate(t, base, func(m map[string]any) { m["isvprodid"] = 65536 }), wantField: "isvprodid"},
		{name: "string", raw: []byte(`"TD_QE"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qe, err := ParseQEIdentity(tt.raw)
			require.Error(t, err)
			assert.Nil(t, qe)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.True(t, errors.Is(err, ErrMalformed))
			assert.Equal(t, itemQEIdentity, fe.Item)
			if tt.wantField != "" {
				assert.Equal(t, tt.wantField, fe.Field, "error: %v", err)
			}
		})
	}
}

func TestFormatErrorMessage(t *testing.T) {
	_, err := ParseTCBInfo(mutate(t, realTCBInfo(t), func(m map[string]any) { m["fmspc"] = "00" }))
	require.Error(t, err)
	assert.Equal(t, "collateral: malformed tcb info: fmspc: expected 6 bytes, found 1", err.Error())
}

// FuzzParseTCBInfo checks that no input makes the parser panic and that a
// parsed TCB info always has the shape the verifier relies on.
func FuzzParseTCBInfo(f *testing.F) {
	f.Add(realTCBInfo(f))
	f.Add(tcbInfoJSON(f, time.Unix(0, 0).UTC(), time.Unix(1<<31, 0).UTC()))
	f.Add([]byte(`{"id":"TDX","version":3,"issueDate":"2025-01-01T00:00:00Z","nextUpdate":"2025-02-01T00:00:00Z","fmspc":"00","pceId":"0000","tcbLevels":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		info, err := ParseTCBInfo(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			return
		}
		if len(info.FMSPC) != fmspcSize || len(info.TCBLevels) == 0 {
			t.Fatalf("accepted a TCB info of the wrong shape: %+v", info)
		}
		for _, l := range info.TCBLevels {
			if len(l.TCB.SGXComponents) != numTCBComponents || l.TCBStatus == "" {
				t.Fatalf("accepted a level of the wrong shape: %+v", l)
			}
		}
	})
}

// FuzzParseQEIdentity checks that no input makes the parser panic.
func FuzzParseQEIdentity(f *testing.F) {
	f.Add(realQEIdentity(f))
	f.Add(qeIdentityJSON(f, time.Unix(0, 0).UTC(), time.Unix(1<<31, 0).UTC()))
	f.Fuzz(func(t *testing.T, raw []byte) {
		qe, err := ParseQEIdentity(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			return
		}
		if len(qe.MRSigner) != qeMRSignerSize || len(qe.AttributesMask) != qeAttributesSize || len(qe.TCBLevels) == 0 {
			t.Fatalf("accepted a QE identity of the wrong shape: %+v", qe)
		}
	})
}

// TestParseRefusesAmbiguousNames: a signed item must name each member
// once and exactly, so that what the verifier reads cannot differ from
// what another parser of the same signed bytes reads (encoding/json takes
// the last of duplicates whatever their case, Intel's QVL the first).
func TestParseRefusesAmbiguousNames(t *testing.T) {
	tcb := string(realTCBInfo(t))
	qe := string(realQEIdentity(t))
	tests := []struct {
		name, raw, field string
		tcbInfo          bool
	}{
		{"duplicate top-level member", strings.Replace(tcb, `"version":3`, `"version":3,"version":3`, 1), "version", true},
		{"case variant of a member", strings.Replace(tcb, `"version":3`, `"version":3,"Version":2`, 1), "Version", true},
		{"duplicate member of a level", strings.Replace(tcb, `"tcbStatus":"UpToDate"`, `"tcbStatus":"UpToDate","tcbStatus":"Revoked"`, 1), "tcbLevels.tcbStatus", true},
		{"case variant in a component", strings.Replace(tcb, `"svn":`, `"SVN":0,"svn":`, 1), "tcbLevels.tcb.sgxtcbcomponents.SVN", true},
		{"duplicate member of the QE identity", strings.Replace(qe, `"isvprodid":2`, `"isvprodid":2,"isvprodid":3`, 1), "isvprodid", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEqual(t, tcb, tt.raw)
			require.NotEqual(t, qe, tt.raw)
			var err error
			if tt.tcbInfo {
				_, err = ParseTCBInfo([]byte(tt.raw))
			} else {
				_, err = ParseQEIdentity([]byte(tt.raw))
			}
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.Equal(t, tt.field, fe.Field, "error: %v", err)
		})
	}
}

// TestParseNamesTheFieldOfABadValue: hex and dates that do not parse are
// reported with their field.
func TestParseNamesTheFieldOfABadValue(t *testing.T) {
	base := realTCBInfo(t)
	for field, edit := range map[string]func(map[string]any){
		"fmspc":             func(m map[string]any) { m["fmspc"] = "ZZ806f000000" },
		"issueDate":         func(m map[string]any) { m["issueDate"] = "yesterday" },
		"tcbLevels.tcbDate": func(m map[string]any) { level(m, 0)["tcbDate"] = 5 },
		"tdxModule":         func(m map[string]any) { m["tdxModule"] = "module" },
	} {
		_, err := ParseTCBInfo(mutate(t, base, edit))
		var fe *FormatError
		require.ErrorAs(t, err, &fe, field)
		assert.Equal(t, field, fe.Field, "error: %v", err)
	}
}
