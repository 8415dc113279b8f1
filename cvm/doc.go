// Package cvm is the CVM side of cvmgate: what an application running in a
// dstack confidential VM mounts so that cvmgate clients can verify it before
// they send it a request.
//
// A Handler serves wire.AttestationPath and wire.InfoPath beside the
// application's own handler, the way autocert's HTTPHandler takes a
// fallback. For each attestation request it asks the dstack guest agent
// for a quote over wire.ReportData(nonce, SPKI), where the nonce is the
// client's and the SPKI is that of the TLS leaf certificate this server
// presented on the very connection the request came over. The server binds
// its own key: it never quotes a value the client chose, so a man in the
// middle that relays the request to the real CVM gets a quote over the
// real CVM's key, which the client refuses.
//
// On the server side crypto/tls does not tell a handler which certificate
// it served, so the Handler learns it from the handshake: TLSConfig wraps
// the server's certificate selection to record the leaf it chose into a
// per-connection holder that ConnContext places in the connection's
// context (Configure sets up both on an *http.Server). A request whose
// connection has no recorded leaf (plain HTTP, or a server not set up this
// way) is refused: there is no key to bind. Because a resumed TLS session
// presents no certificate, TLSConfig turns session tickets off.
//
// Client is a small client of the dstack guest agent's HTTP API on its unix
// socket (or DSTACK_SIMULATOR_ENDPOINT): GetQuote, Info and GetTLSKey, the
// last so that an application takes its TLS certificate from the agent as
// dstack applications do. It depends on the standard library only.
//
// A typical program:
//
//	agent, _ := cvm.NewClient(cvm.ClientOptions{})
//	cert, _ := agent.GetTLSKey(ctx, cvm.TLSKeyOptions{Subject: "app", AltNames: []string{"app.example"}, UsageServerAuth: true})
//	h, _ := cvm.NewHandler(agent, appHandler, cvm.Options{})
//	srv := &http.Server{Addr: ":443", Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
//	_ = cvm.Configure(srv)
//	_ = srv.ListenAndServeTLS("", "")
package cvm
