import { afterEach, describe, expect, it } from "vitest";
import type { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { Message, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";
import { controlCase, rawPeer, until, type RawPeer } from "./websocket/raw-peer.js";

// Rules of docs/wire-format.md checked against a real hub with hand-driven peers (the rule ids
// are in docs/conformance.md).

let hub: WebSocketHub | undefined;
const clients: WebSocketClientTransport[] = [];
const peers: RawPeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.socket.terminate();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await hub?.close();
  hub = undefined;
});

async function start(): Promise<WebSocketHub> {
  hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" });
  return hub;
}

async function agent(agentId: string, config: Parameters<typeof WebSocketTransport.client>[1] = {}): Promise<WebSocketClientTransport> {
  const client = await WebSocketTransport.client({ url: hub!.url, agentId }, config);
  clients.push(client);
  return client;
}

/** A raw peer that has completed its handshake as `agentId`, with Hello metadata and capabilities. */
async function joined(agentId: string, metadata: Record<string, string> = {}, capabilities: string[] = []): Promise<RawPeer> {
  const peer = await rawPeer(hub!.url);
  peers.push(peer);
  peer.sendEnvelope(Message.hello(agentId, { metadata, capabilities }));
  await peer.next((e) => controlCase(e) === "helloAck");
  return peer;
}

function lookupResult(peer: RawPeer, address: string): Promise<Envelope> {
  return peer.next((e) => controlCase(e) === "lookupResult" && e.payload?.$case === "control" && e.payload.value.operation?.$case === "lookupResult" && e.payload.value.operation.value.address === address);
}

function windowOf(envelope: Envelope): number | undefined {
  return envelope.payload?.$case === "control" && envelope.payload.value.operation?.$case === "lookupResult" ? envelope.payload.value.operation.value.window : undefined;
}

describe("wire spec: the hub", () => {
  it("[E2] an envelope with priority above 255 is malformed: Goodbye{SerializationError}, close 4000, the others unaffected", async () => {
    await start();
    const [a, b] = [await agent("a"), await agent("b")];
    const bad = await joined("bad");
    bad.sendEnvelope(Message.event("bad", "loud").to("a").withPriority(255));
    expect((await receiveWithin(a)).message.priority).toBe(255);
    const loud = Message.event("bad", "louder").to("a");
    loud.envelope.priority = 300;
    bad.sendEnvelope(loud);
    expect((await bad.closed).code).toBe(4000);
    const goodbye = bad.received.find((e) => controlCase(e) === "goodbye");
    expect(goodbye?.payload?.$case === "control" && goodbye.payload.value.operation?.$case === "goodbye" && goodbye.payload.value.operation.value.code).toBe("SerializationError");
    await a.send("b", Message.event("a", "still-works"));
    expect((await receiveWithin(b)).message.payload("event")?.name).toBe("still-works");
  });

  it("[W4] Control the hub consumes is never forwarded, whatever its destination; end-to-end Control is", async () => {
    await start();
    const x = await joined("x");
    const y = await joined("y");
    // a Lookup addressed to y: the hub answers it, y never sees it
    x.sendEnvelope(Message.control("x", { operation: { $case: "lookup", value: { address: "y" } } }).to("y"));
    expect(windowOf(await lookupResult(x, "y"))).toBe(0);
    // a Cancel addressed to y is for y
    x.sendEnvelope(Message.control("x", { operation: { $case: "cancel", value: { correlationId: 5, reason: "cancelled" } } }).to("y"));
    const cancel = await y.next((e) => controlCase(e) === "cancel");
    expect(cancel.source).toBe("x");
    expect(y.received.some((e) => controlCase(e) === "lookup")).toBe(false);
  });

  it("[C1] the credit window is Hello's receive_window; absent, 0 or not a positive integer: unmetered (window 0)", async () => {
    await start();
    await joined("seven", { receive_window: "7" });
    await joined("none");
    await joined("zero", { receive_window: "0" });
    await joined("junk", { receive_window: "lots" });
    const asker = await joined("asker");
    const windows: Record<string, number | undefined> = {};
    for (const address of ["seven", "none", "zero", "junk"]) {
      asker.sendEnvelope(Message.control("asker", { operation: { $case: "lookup", value: { address } } }));
      windows[address] = windowOf(await lookupResult(asker, address));
    }
    expect(windows).toEqual({ seven: 7, none: 0, zero: 0, junk: 0 });
  });

  it("[C3] a receiver's Credit{address: sender} reaches the sender as Credit{address: receiver}", async () => {
    await start();
    const sender = await joined("sender");
    await joined("receiver");
    const receiver = peers[1]!;
    receiver.sendEnvelope(Message.control("receiver", { operation: { $case: "credit", value: { address: "sender", count: 3 } } }));
    const credit = await sender.next((e) => controlCase(e) === "credit");
    expect(credit.payload?.$case === "control" && credit.payload.value.operation).toEqual({ $case: "credit", value: { address: "receiver", count: 3 } });
  });

  it("[W7] a Goodbye from an agent with a session ends it at once: the others get PeerGone, no grace period", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { sessionGraceMs: 60_000 });
    const watcher = await agent("watcher", { presence: "all" }); // it hears of every departure ([W8])
    const gone: string[] = [];
    watcher.onPeerGone((event) => event.address !== undefined && gone.push(event.address));
    const leaving = await joined("leaving", {}, ["resume"]);
    leaving.sendEnvelope(Message.goodbye("leaving", "done"));
    leaving.socket.close(1000);
    await until(() => gone.length === 1);
    expect(gone).toEqual(["leaving"]);
    expect(hub.agents()).toEqual(["watcher"]);
  });
});
