import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { Message, type WebSocketClientTransport } from "../../src/index.js";
import type { SocketFactory } from "../../src/transports/websocket/socket.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";
import { until } from "./websocket/raw-peer.js";

const hubs: WebSocketHub[] = [];
const clients: WebSocketClientTransport[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/**
 * Sockets to the URL asked for while `gate.open`; while it is shut, to a port that hangs up at once, so
 * a reconnecting client stays away exactly as long as the test wants (its backoff is random).
 */
async function gatedSockets(): Promise<{ gate: { open: boolean }; createSocket: SocketFactory }> {
  const refuser = createServer((socket) => socket.destroy());
  servers.push(refuser);
  await new Promise<void>((resolve) => refuser.listen(0, "127.0.0.1", resolve));
  const shutUrl = `ws://127.0.0.1:${(refuser.address() as { port: number }).port}`;
  const gate = { open: true };
  const createSocket: SocketFactory = (url) => new WebSocket(gate.open ? url : shutUrl, { perMessageDeflate: false }) as unknown as ReturnType<SocketFactory>;
  return { gate, createSocket };
}

type Config = Parameters<typeof WebSocketTransport.client>[1];
const retry: Config = { retryAttempts: 100, reconnectBaseDelayMs: 5, reconnectMaxDelayMs: 20 };

async function hubWith(config: Parameters<typeof WebSocketTransport.server>[1] = {}, port = 0): Promise<WebSocketHub> {
  const hub = await WebSocketTransport.server({ bindAddr: `127.0.0.1:${port}` }, config);
  hubs.push(hub);
  return hub;
}

async function agent(hub: WebSocketHub, agentId: string, config: Config = retry): Promise<WebSocketClientTransport> {
  const client = await WebSocketTransport.client({ url: hub.url, agentId }, config);
  clients.push(client);
  return client;
}

async function receiveNumbers(transport: WebSocketClientTransport, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await receiveWithin(transport, 5000)).message.json<{ i: number }>()!.i);
  return seen;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("WebSocket: session resumption", () => {
  it("a dropped link resumes: messages in both directions arrive exactly once, in order", async () => {
    const hub = await hubWith();
    const a = await agent(hub, "a");
    const b = await agent(hub, "b");
    await a.send("b", Message.event("a", "n", { i: -1 }));
    await receiveWithin(b);
    await b.send("a", Message.event("b", "n", { i: -1 }));
    await receiveWithin(a);
    // a burst both ways, then the link drops mid-flight (some frames written, unacknowledged)
    const sends: Promise<void>[] = [];
    for (const i of range(0, 300)) sends.push(a.send("b", Message.event("a", "n", { i })), b.send("a", Message.event("b", "n", { i })));
    hub.dropConnection("a");
    for (const i of range(300, 400)) sends.push(a.send("b", Message.event("a", "n", { i })), b.send("a", Message.event("b", "n", { i })));
    await Promise.all(sends);
    expect(await receiveNumbers(b, 400)).toEqual(range(0, 400));
    expect(await receiveNumbers(a, 400)).toEqual(range(0, 400));
    await until(() => a.isConnected());
    expect(a.stats().reconnections).toBe(1);
    expect(hub.hubStats().sessionsResumed).toBe(1);
    // nothing twice: a marker sent now is the next thing each receives
    await a.send("b", Message.event("a", "marker"));
    await b.send("a", Message.event("b", "marker"));
    expect((await receiveWithin(b)).message.payload("event")?.name).toBe("marker");
    expect((await receiveWithin(a)).message.payload("event")?.name).toBe("marker");
  });

  // It used to poll for the transient "a is disconnected" without a deadline: when a's jittered
  // backoff (0-200 ms) and handshake fit between two polls, the poll never saw it and the test
  // hung until its 20 s timeout (on a loaded machine, where polls come late, more often).
  it("while an agent is away within the grace period, it stays routable and others see no PeerGone", async () => {
    const hub = await hubWith();
    const { gate, createSocket } = await gatedSockets();
    const a = await WebSocketTransport.client({ url: hub.url, agentId: "a", createSocket }, retry);
    clients.push(a);
    const b = await agent(hub, "b");
    const gone: (string | undefined)[] = [];
    b.onPeerGone((event) => gone.push(event.address));
    const aLost = new Promise<void>((resolve) => a.onPeerGone((event) => event.address === undefined && resolve()));
    await b.send("a", Message.event("b", "n", { i: 0 }));
    expect(await receiveNumbers(a, 1)).toEqual([0]);
    gate.open = false; // a stays away until the gate opens
    hub.dropConnection("a");
    await aLost;
    await until(() => hub.agentInfo("a")?.state === "parked");
    for (const i of range(1, 50)) await b.send("a", Message.event("b", "n", { i }));
    expect(hub.agents()).toContain("a");
    expect(a.isConnected()).toBe(false);
    gate.open = true;
    expect(await receiveNumbers(a, 49)).toEqual(range(1, 50));
    expect(gone).toEqual([]);
    expect(hub.hubStats().sessionsResumed).toBe(1);
  });

  it("after the grace period the session is gone: those who watch are told, and so is the agent", async () => {
    const hub = await hubWith({ sessionGraceMs: 30 });
    const b = await agent(hub, "b", { ...retry, presence: "all" });
    const a = await agent(hub, "a", { retryAttempts: 0 });
    const gone: string[] = [];
    b.onPeerGone((event) => gone.push(`${event.address}: ${event.reason}`));
    hub.dropConnection("a");
    await until(() => gone.length > 0);
    expect(gone[0]).toMatch(/^a: session expired: no reconnect within 30 ms$/);
    expect(hub.hubStats().sessionsExpired).toBe(1);
    expect(hub.agents()).toEqual(["b"]);
    await until(() => a.state === "closed");
  });

  it("a parked session is bounded: past sessionBufferBytes it expires at once", async () => {
    const hub = await hubWith({ sessionGraceMs: 60_000, sessionBufferBytes: 8 * 1024 });
    const b = await agent(hub, "b");
    await agent(hub, "a", { retryAttempts: 0 });
    const gone: string[] = [];
    b.onPeerGone((event) => gone.push(`${event.address}: ${event.reason}`));
    await b.send("a", Message.event("b", "learn-window"));
    hub.dropConnection("a");
    await until(() => hub.agentInfo("a") !== undefined && hub.hubStats().connectedAgents === 2);
    for (let i = 0; i < 20 && gone.length === 0; i++) await b.send("a", Message.event("b", "big", new Uint8Array(1024))).catch(() => undefined);
    await until(() => gone.length > 0);
    expect(gone[0]).toMatch(/^a: session expired: more than 8192 bytes kept for it$/);
  });

  it("a hub restart loses the session; the client is told explicitly and counts what may be lost", async () => {
    const first = await hubWith();
    const port = first.port;
    const a = await agent(first, "a");
    const events: string[] = [];
    a.onPeerGone((event) => events.push(event.reason));
    await first.close();
    await until(() => !a.isConnected());
    const second = await hubWith({}, port);
    second.tryReceive(); // the application reads the hub: messages to it are queued
    await until(() => a.isConnected());
    expect(events.some((reason) => /session .* lost/.test(reason))).toBe(true);
    await a.send(second.localAddress, Message.event("a", "fresh-session"));
    expect((await receiveWithin(second)).message.payload("event")?.name).toBe("fresh-session");
  });
});
