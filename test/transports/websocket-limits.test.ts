import { afterEach, describe, expect, it } from "vitest";
import { FrameFlags, type Compression } from "../../src/protocol.js";
import { Message, TransportError, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";
import { controlCase, fakeHub, rawPeer, sendFrame, until, type RawPeer } from "./websocket/raw-peer.js";

let hub: WebSocketHub | undefined;
const clients: WebSocketClientTransport[] = [];
const peers: RawPeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.socket.terminate();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await hub?.close();
  hub = undefined;
});

async function setup(config: Parameters<typeof WebSocketTransport.server>[1] = {}) {
  hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, config);
  const a = await WebSocketTransport.client({ url: hub.url, agentId: "a" }, config);
  const b = await WebSocketTransport.client({ url: hub.url, agentId: "b" }, config);
  clients.push(a, b);
  return { a, b };
}

async function peer(): Promise<RawPeer> {
  const p = await rawPeer(hub!.url);
  peers.push(p);
  return p;
}

/** The others still talk after one connection misbehaved. */
async function stillWorks(a: WebSocketClientTransport, b: WebSocketClientTransport): Promise<void> {
  await a.send("b", Message.event("a", "still-works"));
  expect((await receiveWithin(b)).message.payload("event")?.name).toBe("still-works");
}

function goodbyeOf(p: RawPeer) {
  const envelope = p.received.find((e) => controlCase(e) === "goodbye");
  return envelope?.payload?.$case === "control" && envelope.payload.value.operation?.$case === "goodbye" ? envelope.payload.value.operation.value : undefined;
}

describe("WebSocket hub: limits and bad input", () => {
  it("a frame over maxMessageSize is refused before buffering: close 1009, others unaffected", async () => {
    const max = 16 * 1024;
    const { a, b } = await setup({ maxMessageSize: max });
    const p = await peer();
    p.sendEnvelope(Message.hello("big"));
    await p.next((e) => controlCase(e) === "helloAck");
    p.socket.send(new Uint8Array(max + 100));
    const closed = await p.closed;
    expect(closed.code).toBe(1009);
    expect(hub!.hubStats().protocolErrors).toBe(1);
    await stillWorks(a, b);
  });

  it("a client configured larger than the hub refuses what the hub would: MessageTooLarge{size, max}", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { maxMessageSize: 8 * 1024 });
    const a = await WebSocketTransport.client({ url: hub.url, agentId: "a" }, { maxMessageSize: 1 << 20 });
    clients.push(a);
    const error = await a.send("hub", Message.event("a", "big", new Uint8Array(10_000))).catch((e: unknown) => e);
    expect(TransportError.is(error, "MessageTooLarge")).toBe(true);
    expect(error).toMatchObject({ max: 8 * 1024 });
    expect((error as TransportError).size).toBeGreaterThan(8 * 1024);
    expect(a.isConnected()).toBe(true);
  });

  it("a malformed frame closes that connection with 4000 and a Goodbye{SerializationError}", async () => {
    const { a, b } = await setup();
    const p = await peer();
    p.sendEnvelope(Message.hello("bad"));
    await p.next((e) => controlCase(e) === "helloAck");
    p.socket.send(Uint8Array.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    const closed = await p.closed;
    expect(closed.code).toBe(4000);
    expect(closed.reason).toMatch(/bad frame/);
    expect(goodbyeOf(p)?.code).toBe("SerializationError");
    await stillWorks(a, b);
  });

  it("a decoder that throws something other than a TransportError still closes with 4000 and Goodbye{SerializationError}", async () => {
    const brittle: Compression = {
      name: "brittle",
      compress: (data) => data,
      decompress: () => {
        throw new RangeError("offset is out of bounds");
      },
    };
    const { a, b } = await setup({ compression: brittle });
    const p = await peer();
    p.sendEnvelope(Message.hello("brittle", { capabilities: ["compression"] }));
    await p.next((e) => controlCase(e) === "helloAck");
    p.socket.send(Uint8Array.from([FrameFlags.COMPRESSED, 0x01, 0x02, 0x03]));
    const closed = await p.closed;
    expect(closed.code).toBe(4000);
    expect(closed.reason).toBe("bad frame: offset is out of bounds");
    expect(goodbyeOf(p)?.code).toBe("SerializationError");
    expect(hub!.hubStats().protocolErrors).toBe(1);
    await stillWorks(a, b);
  });

  it("a frame with reserved flag bits closes that connection", async () => {
    const { a, b } = await setup();
    const p = await peer();
    p.sendEnvelope(Message.hello("flags"));
    await p.next((e) => controlCase(e) === "helloAck");
    p.socket.send(Uint8Array.from([0x80]));
    expect((await p.closed).reason).toMatch(/reserved flag/);
    await stillWorks(a, b);
  });

  it("a message before Hello closes that connection with 4004 and a clear reason", async () => {
    const { a, b } = await setup();
    const p = await peer();
    p.sendEnvelope(Message.event("sneaky", "no-hello").to("a"));
    const closed = await p.closed;
    expect(closed.code).toBe(4004);
    expect(goodbyeOf(p)?.reason).toMatch(/expected Hello as the first frame, got event/);
    expect(hub!.agents().sort()).toEqual(["a", "b"]);
    await stillWorks(a, b);
  });

  it("a text message closes that connection", async () => {
    const { a, b } = await setup();
    const p = await peer();
    p.socket.send("hello?");
    expect((await p.closed).reason).toMatch(/text message/);
    await stillWorks(a, b);
  });

  it("no Hello within connectionTimeoutMs: the connection is closed", async () => {
    const { a, b } = await setup({ connectionTimeoutMs: 50 });
    const p = await peer();
    const closed = await p.closed;
    expect(closed.code).toBe(4004);
    expect(closed.reason).toMatch(/no Hello within 50 ms/);
    await stillWorks(a, b);
  });

  it("a hub that sends a malformed frame makes the client drop that link, not crash", async () => {
    const evilHub = await fakeHub((socket) => {
      sendFrame(socket, Message.helloAck("evil_hub"));
      socket.send(Uint8Array.from([0x00, 0xff, 0xff]));
    });
    const client = await WebSocketTransport.client({ url: evilHub.url, agentId: "a" }, { retryAttempts: 0 });
    const gone: unknown[] = [];
    client.onPeerGone((e) => gone.push(e.address));
    await until(() => client.state === "closed");
    expect(client.stats().errors).toBeGreaterThanOrEqual(1);
    expect(gone[0]).toBeUndefined();
    await evilHub.close();
  });
});
