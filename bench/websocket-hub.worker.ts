/**
 * The far side of bench/websocket.bench.ts, in a worker thread: our hub, and a raw `ws` server
 * that does the same job (forward each binary message from the "/send" socket to the "/recv"
 * socket, and back the other way). Posts { hubUrl, rawUrl } once both listen; closes both on "close".
 */
import { parentPort } from "node:worker_threads";
import { WebSocketServer, type WebSocket } from "ws";
import { WebSocketTransport } from "../src/node.js";

const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "bench_hub" }, { heartbeatIntervalMs: 0 });

const raw = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
await new Promise((resolve) => raw.once("listening", resolve));
let receiver: WebSocket | undefined;
let sender: WebSocket | undefined;
raw.on("connection", (socket, request) => {
  if (request.url === "/recv") {
    receiver = socket;
    socket.on("message", (data: Buffer) => sender?.send(data));
  } else {
    sender = socket;
    socket.on("message", (data: Buffer) => receiver?.send(data));
  }
});

parentPort!.postMessage({ hubUrl: hub.url, rawUrl: `ws://127.0.0.1:${(raw.address() as { port: number }).port}` });
parentPort!.once("message", async () => {
  for (const socket of raw.clients) socket.terminate();
  await new Promise((resolve) => raw.close(resolve));
  await hub.close();
  parentPort!.postMessage("closed");
});
