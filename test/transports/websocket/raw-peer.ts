import { WebSocket, WebSocketServer } from "ws";
import { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { decodeEnvelope, encodeFrame } from "../../../src/protocol.js";
import { Message } from "../../../src/index.js";
import { frameBodies } from "../../../src/protocol/batch.js";
import { gzip } from "../../../src/node/gzip.js";

const CODEC = { maxMessageSize: 10 << 20, enableCompression: false, compressionThreshold: 1024 };
/** What a raw peer reads with: gzip too, for peers that announce "compression". */
const READ_CODEC = { ...CODEC, compression: gzip };

/** A hand-driven peer speaking raw frames over `ws`, for hostile and off-protocol input. */
export interface RawPeer {
  socket: WebSocket;
  /** Envelopes received so far. */
  received: Envelope[];
  /** Their encoded bytes, as received (a hub forwards these unchanged). */
  bodies: Uint8Array[];
  /** WebSocket messages received (a batch frame carries several envelopes). */
  frames: number;
  /** Settles with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  sendEnvelope(message: Message): void;
  /** Resolves with the next envelope received (or the first already there that matches). */
  next(match?: (envelope: Envelope) => boolean): Promise<Envelope>;
}

export async function rawPeer(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<RawPeer> {
  const socket = new WebSocket(url, options);
  const received: Envelope[] = [];
  const bodies: Uint8Array[] = [];
  const waiters: { match: (e: Envelope) => boolean; resolve: (e: Envelope) => void }[] = [];
  let frames = 0;
  socket.on("message", (data: Buffer) => {
    frames++;
    for (const body of frameBodies(new Uint8Array(data), READ_CODEC)) {
      bodies.push(body);
      deliver(decodeEnvelope(body));
    }
  });
  const deliver = (envelope: Envelope) => {
    received.push(envelope);
    for (const waiter of [...waiters]) {
      if (waiter.match(envelope)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(envelope);
      }
    }
  };
  socket.on("error", () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return {
    socket,
    received,
    bodies,
    get frames() {
      return frames;
    },
    closed,
    // the generated encoder, not encodeFrame: a raw peer may send what the wire limits forbid
    sendEnvelope: (message) => socket.send(Uint8Array.from([0, ...Envelope.encode(message.envelope).finish()])),
    next: (match = () => true) =>
      new Promise((resolve) => {
        const seen = received.find(match);
        if (seen !== undefined) return resolve(seen);
        waiters.push({ match, resolve });
      }),
  };
}

/** The control arm of an envelope, if any. */
export function controlCase(envelope: Envelope): string | undefined {
  return envelope.payload?.$case === "control" ? envelope.payload.value.operation?.$case : undefined;
}

/** A stand-in hub: a bare `ws` server that lets `onHello` answer each connection's first frame. */
export async function fakeHub(onHello: (socket: WebSocket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (socket) => socket.once("message", () => onHello(socket)));
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      for (const socket of server.clients) socket.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Sends one plain frame, as a hub would before any capability applies. */
export function sendFrame(socket: WebSocket, message: Message): void {
  socket.send(encodeFrame(message.envelope, CODEC));
}

export { until } from "../../helpers/wait-for.js";

/** A raw peer that said Hello as `agentId` (with `capabilities` and `metadata`) and got its HelloAck. */
export async function helloPeer(url: string, agentId: string, capabilities: string[] = [], metadata: Record<string, string> = {}): Promise<RawPeer> {
  const peer = await rawPeer(url);
  peer.sendEnvelope(Message.hello(agentId, { capabilities, metadata }));
  const answer = await Promise.race([peer.next((e) => controlCase(e) === "helloAck" || controlCase(e) === "goodbye"), peer.closed.then(() => undefined)]);
  if (answer === undefined || controlCase(answer) !== "helloAck") throw new Error(`hub refused "${agentId.slice(0, 40)}": ${JSON.stringify(peer.received.at(-1)?.payload)}`);
  return peer;
}
