// An app written with the official dstack JS SDK (@phala/dstack-sdk),
// unmodified: it finds the guest agent through DSTACK_SIMULATOR_ENDPOINT,
// calls Info, GetQuote, GetTlsKey and Version, and writes the GetQuote
// answer to the file named by its argument. TestSimulateJSSDK runs it.
const { DstackClient } = require('@phala/dstack-sdk');
const fs = require('fs');

(async () => {
  const c = new DstackClient();
  if (!(await c.isReachable())) throw new Error('agent not reachable');
  const info = await c.info();
  if (!info.app_id || !info.tcb_info.app_compose) throw new Error('Info without app_id or tcb_info.app_compose');
  const q = await c.getQuote(Buffer.alloc(64, 0xab));
  if (q.replayRtmrs().length !== 4) throw new Error('replayRtmrs');
  fs.writeFileSync(process.argv[2], JSON.stringify(q));
  const k = await c.getTlsKey({ subject: 'app.local', altNames: ['app.local'] });
  if (!k.key.startsWith('-----BEGIN PRIVATE KEY-----') || k.certificate_chain.length < 2) throw new Error('GetTlsKey');
  const v = await c.version();
  console.log(JSON.stringify({ app_id: info.app_id, compose_hash: info.compose_hash, version: v.version }));
})().catch((e) => { console.error('SDK error:', e); process.exit(1); });
