const { createEvent, loginFailedV1, resolveDefinition } = require('@vigil/contracts');
const { decodeEvent } = require('@vigil/messaging');
const N = 20000;
const msgs = Array.from({ length: N }, (_, n) => ({ data: new TextEncoder().encode(JSON.stringify(createEvent(loginFailedV1, { orgid: '7c0e0c4e-6a6f-4b8e-9f57-1f0a7d3c2b11', source: 'x', data: { ip: `10.0.${(n % 10000) >> 8}.${n % 256}`, username: `user${n % 5000}@b.test` } }))), info: { timestampNanos: Date.now() * 1e6 } }));
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  for (const m of msgs) decodeEvent(m, resolveDefinition('login.failed'));
  console.log('decode µs/event', ((performance.now() - t) * 1000 / N).toFixed(1));
  t = performance.now();
  for (const m of msgs) JSON.parse(new TextDecoder().decode(m.data));
  console.log('parse only µs/event', ((performance.now() - t) * 1000 / N).toFixed(1));
}
