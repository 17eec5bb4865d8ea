import { Message } from "../src/index.js";
import { WebSocketTransport } from "../src/node.js";
const config = { heartbeatIntervalMs: 0, enableCompression: false };
const a = await WebSocketTransport.client({ url: "ws://127.0.0.1:47123", agentId: "a" }, config);
const b = await WebSocketTransport.client({ url: "ws://127.0.0.1:47123", agentId: "b" }, config);
const message = Message.event("a", "t", new Uint8Array(Number(process.argv[2] ?? 4096)).fill(0x5a));
let inflight = 0;
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < 3000) {
  for (let i = 0; i < 1000; i++) {
    await a.send("b", message);
    if (++inflight >= 64) { if (b.tryReceive() === undefined) await b.receive(); inflight--; }
  }
  n += 1000;
}
console.log("ops/s", n / ((performance.now() - t0) / 1000));
process.exit(0);
