import { WebSocket } from "ws";
import { createDemux, createServer, callMethod, Message, WebSocketClientTransport, type WebSocketConfig } from "../../../src/index.js";
import { gzip } from "../../../src/node.js";
import type { SocketFactory } from "../../../src/transports/websocket/socket.js";

/**
 * Frames captured from a real session: two clients through the hub at `url` exchange events
 * (small, nested JSON, binary, a large compressible one that goes gzip'd), a burst that goes
 * out as batch frames, an RPC call and its answer, a broadcast, Acks; every frame either
 * client writes is recorded as written (Hello included). The fuzzer mutates these.
 */
export async function captureCorpus(url: string): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  const createSocket: SocketFactory = (target) => {
    const socket = new WebSocket(target, { perMessageDeflate: false });
    const send = socket.send.bind(socket);
    socket.send = ((data: Uint8Array, ...rest: unknown[]) => {
      frames.push(Uint8Array.from(data));
      return (send as (...args: unknown[]) => void)(data, ...rest);
    }) as typeof socket.send;
    return socket as unknown as ReturnType<SocketFactory>;
  };
  const config: WebSocketConfig = { compression: gzip };
  const a = await WebSocketClientTransport.connect({ url, agentId: "capture_a", createSocket }, config);
  const b = await WebSocketClientTransport.connect({ url, agentId: "capture_b", createSocket }, config);
  const serverSide = createDemux(b);
  createServer(serverSide).addMethod("double", (params) => ({ n: 2 * (params as { n: number }).n }));
  const clientSide = createDemux(a);
  try {
    await a.send("capture_b", Message.event("capture_a", "small", { n: 1 }));
    await a.send("capture_b", Message.event("capture_a", "nested", { a: [1, { b: [true, null, "x"] }], c: { d: { e: 2.5 } } }).withHeader("h", "v").withPriority(200).withTtl(4));
    await a.send("capture_b", Message.event("capture_a", "binary", new Uint8Array(300).fill(7)));
    await a.send("capture_b", Message.event("capture_a", "zip", "z".repeat(8000)));
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.send("capture_b", Message.event("capture_a", "burst", { i }))));
    await callMethod(clientSide, "capture_b", "double", { n: 21 });
    await a.broadcast(Message.broadcast("capture_a", "news", { all: true }));
  } finally {
    await Promise.all([clientSide.close(), serverSide.close()]);
    await Promise.all([a.close(), b.close()]);
  }
  return frames;
}
