/**
 * The far side of bench/fanout.bench.ts, in a worker thread: our hub, and a raw `ws` server
 * doing the same job the way `ws` users broadcast (each binary message from a "/pub" socket is
 * sent to every "/sub" socket). Posts { hubUrl, rawUrl } once both listen; closes on "close".
 */
import { parentPort } from "node:worker_threads";
import { WebSocketServer, type WebSocket } from "ws";
import { WebSocketTransport } from "../src/node.js";

const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "fanout_hub" }, { heartbeatIntervalMs: 0, enableCompression: false });

const raw = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
await new Promise((resolve) => raw.once("listening", resolve));
const subscribers = new Set<WebSocket>();
raw.on("connection", (socket, request) => {
  if (request.url === "/sub") {
    subscribers.add(socket);
    socket.on("close", () => subscribers.delete(socket));
  } else {
    socket.on("message", (data: Buffer) => {
      for (const subscriber of subscribers) subscriber.send(data);
    });
  }
});

parentPort!.postMessage({ hubUrl: hub.url, rawUrl: `ws://127.0.0.1:${(raw.address() as { port: number }).port}` });
parentPort!.once("message", async () => {
  for (const socket of raw.clients) socket.terminate();
  await new Promise((resolve) => raw.close(resolve));
  await hub.close();
  parentPort!.postMessage("closed");
});
