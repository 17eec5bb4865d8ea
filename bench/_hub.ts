import { WebSocketTransport } from "../src/node.js";
const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:47123", hubId: "bench_hub" }, { heartbeatIntervalMs: 0 });
process.on("SIGINT", () => process.exit(0));
console.log(hub.url);
