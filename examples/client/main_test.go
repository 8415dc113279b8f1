package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cvmgate/cvmgate/cvmtest"
	"github.com/cvmgate/cvmgate/verify"
)

var balance = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"balance":42}`) })

func TestClientReachesVerifiedCVM(t *testing.T) {
	cvm := cvmtest.NewServer(balance)
	defer cvm.Close()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, cvm.Policy(), cvm.URL+"/api/balance", cvm.TransportOptions()...))
	assert.Contains(t, out.String(), `200 OK {"balance":42}`)
	assert.Contains(t, out.String(), "TCB UpToDate, binding spki")
	assert.EqualValues(t, 1, cvm.AppRequests())
}

func TestClientRefusesOtherApp(t *testing.T) {
	genuine := cvmtest.NewServer(balance)
	defer genuine.Close()
	other := cvmtest.NewServer(balance, cvmtest.WithComposeFile([]byte(`{"runner":"docker-compose","docker_compose_file":"services: {}"}`)))
	defer other.Close()
	var out bytes.Buffer
	err := run(context.Background(), &out, genuine.Policy(), other.URL+"/api/balance", other.TransportOptions()...)
	require.Error(t, err)
	assert.Equal(t, verify.KindPolicy, verify.KindOf(err))
	assert.Contains(t, err.Error(), "refused "+other.URL)
	assert.Zero(t, other.AppRequests())
	assert.Empty(t, out.String())
}
