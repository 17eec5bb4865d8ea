import { afterEach, describe, expect, it } from "vitest";
import { Message, TransportError, type TransportConfig } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import type { WebSocketClientTransport } from "../../src/index.js";
import { receiveWithin } from "../transport/conformance.js";
import { controlCase, fakeHub, rawPeer, sendFrame, until } from "./websocket/raw-peer.js";

let hub: WebSocketHub | undefined;
const clients: WebSocketClientTransport[] = [];

async function start(config: Partial<TransportConfig> = {}) {
  hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "hub" }, config);
  return hub;
}

async function agent(agentId: string, config: Parameters<typeof WebSocketTransport.client>[1] = {}) {
  const client = await WebSocketTransport.client({ url: hub!.url, agentId }, config);
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await hub?.close();
  hub = undefined;
});

describe("WebSocket hub: routing", () => {
  it("HelloAck tells a peer its id, limits, heartbeat timing and session terms", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "central" }, { heartbeatIntervalMs: 7000, heartbeatTimeoutMs: 21_000, sessionGraceMs: 4000 });
    const a = await agent("a");
    expect(a.hubId).toBe("central"); // HelloAck's envelope source
    expect(a.hubMetadata).toMatchObject({
      max_message_size: String(10 * 1024 * 1024),
      heartbeat_interval_ms: "7000",
      heartbeat_timeout_ms: "21000",
      session_grace_ms: "4000",
      session_buffer_bytes: String(8 << 20),
      resumed: "false",
    });
  });

  it("reports its bound port and url, and routes send(to) between agents by id", async () => {
    await start();
    expect(hub!.port).toBeGreaterThan(0);
    expect(hub!.url).toBe(`ws://127.0.0.1:${hub!.port}`);
    const a = await agent("agent_a");
    const b = await agent("agent_b");
    expect(hub!.agents().sort()).toEqual(["agent_a", "agent_b"]);
    expect(a.hubId).toBe("hub");
    await a.send("agent_b", Message.request("agent_a", "ping", { n: 1 }));
    const { from, message } = await receiveWithin(b);
    expect(from).toBe("agent_a");
    expect(message.json()).toEqual({ n: 1 });
    await b.send(from, Message.response("agent_b", message.id, { pong: true }));
    expect((await receiveWithin(a)).message.payload("response")?.correlationId).toBe(message.id);
    expect(hub!.hubStats()).toMatchObject({ connectedAgents: 2, messagesRouted: 2 });
  });

  it("is an endpoint itself: agents send to the hub id, the hub sends and broadcasts to agents", async () => {
    await start();
    expect(hub!.tryReceive()).toBeUndefined(); // the application reads the hub: it queues for it from now on
    const a = await agent("a");
    const b = await agent("b");
    await a.send("hub", Message.event("a", "to-hub"));
    const atHub = await receiveWithin(hub!);
    expect(atHub.from).toBe("a");
    await hub!.send("b", Message.event("hub", "from-hub"));
    expect((await receiveWithin(b)).from).toBe("hub");
    await hub!.broadcast(Message.broadcast("hub", "all"));
    for (const c of [a, b]) expect((await receiveWithin(c)).message.payload("broadcast")?.topic).toBe("all");
    await expect(hub!.send("nobody", Message.event("hub", "x"))).rejects.toMatchObject({ code: "InvalidAddress", address: "nobody" });
  });

  it("an agent's broadcast reaches the other agents and the hub endpoint (once it is read)", async () => {
    await start();
    hub!.tryReceive();
    const [a, b, c] = [await agent("a"), await agent("b"), await agent("c")];
    await a.broadcast(Message.broadcast("a", "news", { v: 1 }));
    expect((await receiveWithin(b)).message.json()).toEqual({ v: 1 });
    expect((await receiveWithin(c)).message.json()).toEqual({ v: 1 });
    expect((await receiveWithin(hub!)).from).toBe("a");
    expect(a.tryReceive()).toBeUndefined();
  });

  it("refuses a duplicate agent id with AddressInUse and keeps the first agent", async () => {
    await start();
    const first = await agent("worker_1");
    const error = await agent("worker_1").catch((e: unknown) => e);
    expect(TransportError.is(error, "AddressInUse")).toBe(true);
    expect((error as Error).message).toContain("worker_1");
    const other = await agent("other");
    await other.send("worker_1", Message.event("other", "still-routed"));
    expect((await receiveWithin(first)).message.payload("event")?.name).toBe("still-routed");
  });

  it("refuses a message whose source is not the sending agent", async () => {
    await start();
    const a = await agent("a");
    await expect(a.send("hub", Message.event("mallory", "spoof"))).rejects.toMatchObject({ code: "InvalidAddress" });
  });

  it("onPeerGone on other agents when an agent disconnects, and a later send to it is InvalidAddress", async () => {
    await start();
    const a = await agent("a");
    const b = await agent("b");
    await a.send("b", Message.event("a", "hi"));
    await receiveWithin(b);
    const gone: (string | undefined)[] = [];
    a.onPeerGone((event) => gone.push(event.address));
    const hubGone: (string | undefined)[] = [];
    hub!.onPeerGone((event) => hubGone.push(event.address));
    await b.close();
    await until(() => gone.includes("b") && hubGone.includes("b"));
    await expect(a.send("b", Message.event("a", "late"))).rejects.toMatchObject({ code: "InvalidAddress", address: "b" });
    expect(hub!.agents()).toEqual(["a"]);
  });

  it("onPeerGone fires with address undefined when the link to the hub drops", async () => {
    await start();
    const a = await agent("a", { retryAttempts: 0 });
    const events: { address: string | undefined; reason: string }[] = [];
    a.onPeerGone((event) => events.push(event));
    await hub!.close();
    await until(() => events.length > 0 && a.state === "closed");
    expect(events[0]!.address).toBeUndefined();
    expect(events[0]!.reason).toMatch(/connection lost/);
    await expect(a.send("x", Message.event("a", "x"))).rejects.toMatchObject({ code: "Closed" });
  });

  it("counts per-agent and hub statistics", async () => {
    await start();
    const a = await agent("a");
    const b = await agent("b");
    await a.send("b", Message.event("a", "1"));
    await a.send("b", Message.event("a", "2"));
    await receiveWithin(b);
    await receiveWithin(b);
    await a.send("ghost", Message.event("a", "x")).catch(() => undefined);
    const info = hub!.agentInfo("a")!;
    expect(info).toMatchObject({ agentId: "a", remoteAddress: "127.0.0.1", paused: false, state: "open" });
    expect(info.messagesIn).toBeGreaterThanOrEqual(3); // Hello, lookups, messages
    expect(b.stats()).toMatchObject({ messagesReceived: 2 });
    expect(b.stats().bytesReceived).toBeGreaterThan(0);
    expect(a.stats()).toMatchObject({ messagesSent: 2, errors: 1 });
    expect(a.stats().bytesSent).toBeGreaterThan(0);
    expect(hub!.hubStats().connectedAgents).toBe(2);
  });
});

describe("WebSocket hub: handshake", () => {
  it("a Hello with another major version gets Goodbye{VersionMismatch} naming both versions, then close 4001", async () => {
    await start();
    const peer = await rawPeer(hub!.url);
    peer.sendEnvelope(Message.hello("future_agent", { version: { major: 2, minor: 1, patch: 0 } }));
    const goodbye = await peer.next((e) => controlCase(e) === "goodbye");
    const value = goodbye.payload?.$case === "control" && goodbye.payload.value.operation?.$case === "goodbye" ? goodbye.payload.value.operation.value : undefined;
    expect(value?.code).toBe("VersionMismatch");
    expect(value?.reason).toContain("2.1.0");
    expect(value?.reason).toContain("1.0.0");
    const closed = await peer.closed;
    expect(closed.code).toBe(4001);
    expect(hub!.agents()).toEqual([]);
    const ok = await agent("fine");
    expect(ok.isConnected()).toBe(true);
  });

  it("a client facing a hub of another major rejects with VersionMismatch{expected, actual}", async () => {
    const oldHub = await fakeHub((socket) => sendFrame(socket, Message.helloAck("old_hub", { version: { major: 3, minor: 0, patch: 0 } })));
    const error = await WebSocketTransport.client({ url: oldHub.url, agentId: "a" }).catch((e: unknown) => e);
    expect(TransportError.is(error, "VersionMismatch")).toBe(true);
    expect(error).toMatchObject({ expected: "1.0.0", actual: "3.0.0" });
    await oldHub.close();
  });

  it("negotiates capabilities and passes metadata both ways", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", metadata: { hub_region: "us-west-2" } });
    const client = await WebSocketTransport.client({ url: hub.url, agentId: "a", metadata: { agent_type: "neural_trainer" } });
    clients.push(client);
    expect(client.hubMetadata["hub_region"]).toBe("us-west-2");
    expect(hub.agentInfo("a")?.metadata["agent_type"]).toBe("neural_trainer");
  });
});
