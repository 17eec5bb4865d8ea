import { afterEach, describe, expect, it } from "vitest";
import { Message, TransportError, type LinkChangeEvent, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { backoffDelayMs } from "../../src/transports/websocket/backoff.js";
import { receiveWithin } from "../transport/conformance.js";
import { until } from "./websocket/raw-peer.js";

let hubs: WebSocketHub[] = [];
const clients: WebSocketClientTransport[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(hubs.map((h) => h.close()));
  hubs = [];
});

const quickRetry = { reconnectBaseDelayMs: 5, reconnectMaxDelayMs: 40 };

async function hubOn(port = 0): Promise<WebSocketHub> {
  const hub = await WebSocketTransport.server({ bindAddr: `127.0.0.1:${port}` });
  hubs.push(hub);
  return hub;
}

async function agent(hub: WebSocketHub, agentId: string, config: Parameters<typeof WebSocketTransport.client>[1] = {}) {
  const client = await WebSocketTransport.client({ url: hub.url, agentId }, config);
  clients.push(client);
  return client;
}

describe("backoff", () => {
  it("is exponential with full jitter, capped", () => {
    expect(backoffDelayMs(0, 100, 5000, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, 100, 5000, () => 0.5)).toBe(400);
    expect(backoffDelayMs(10, 100, 5000, () => 0.999)).toBe(4995);
    expect(backoffDelayMs(60, 100, 5000, () => 0)).toBe(0);
  });
});

describe("WebSocket client: reconnect", () => {
  it("reconnects after the hub restarts, re-handshakes, and delivers what was sent while disconnected", async () => {
    const first = await hubOn();
    const port = first.port;
    const a = await agent(first, "a", { retryAttempts: 100, ...quickRetry });
    const b = await agent(first, "b", { retryAttempts: 100, ...quickRetry });
    await first.close();
    await until(() => !a.isConnected() && !b.isConnected());
    const buffered = a.send("hub", Message.event("a", "sent-while-down"));
    expect(a.pendingSends).toBe(1);
    const second = await hubOn(port);
    second.tryReceive(); // the application reads the hub: messages to it are queued
    await buffered;
    expect((await receiveWithin(second)).message.payload("event")?.name).toBe("sent-while-down");
    await until(() => b.isConnected());
    expect(a.stats().reconnections).toBe(1);
    expect(second.agents().sort()).toEqual(["a", "b"]);
    await a.send("b", Message.event("a", "after-restart"));
    expect((await receiveWithin(b)).message.payload("event")?.name).toBe("after-restart");
  });

  it("gives up after retryAttempts: buffered sends reject with ConnectionError and the transport closes", async () => {
    const hub = await hubOn();
    const a = await agent(hub, "a", { retryAttempts: 2, ...quickRetry });
    await hub.close();
    await until(() => !a.isConnected());
    const buffered = a.send("hub", Message.event("a", "never")).catch((e: unknown) => e);
    const error = await buffered;
    expect(TransportError.is(error, "ConnectionError")).toBe(true);
    expect((error as Error).message).toMatch(/gave up reconnecting .* after 2 attempts/);
    expect(a.state).toBe("closed");
    expect(a.stats().errors).toBeGreaterThanOrEqual(1);
  });

  it("with bufferWhileDisconnected: false, a send while disconnected fails fast with ConnectionError", async () => {
    const hub = await hubOn();
    const a = await agent(hub, "a", { retryAttempts: 1000, ...quickRetry, bufferWhileDisconnected: false });
    await hub.close();
    await until(() => !a.isConnected());
    await expect(a.send("hub", Message.event("a", "x"))).rejects.toMatchObject({ code: "ConnectionError" });
    expect(a.pendingSends).toBe(0);
  });

  it("onLinkChange tells lost, each failed attempt, regained (and whether the session resumed) and gave-up, with the attempts made", async () => {
    const first = await hubOn();
    const port = first.port;
    const a = await agent(first, "a", { retryAttempts: 3, ...quickRetry });
    const events: LinkChangeEvent[] = [];
    a.onLinkChange((event) => events.push(event));
    first.dropConnection("a");
    await until(() => events.some((e) => e.state === "regained"));
    expect(events.map((e) => e.state)).toEqual(["lost", "regained"]);
    expect(events[1]!.attempts).toBeGreaterThanOrEqual(1);
    expect(events[1]!.resumed).toBe(true);
    await first.close();
    await until(() => events.some((e) => e.state === "gave-up"));
    expect(events.slice(2).map((e) => `${e.state} ${e.attempts}`)).toEqual(["lost 0", "retrying 1", "retrying 2", "gave-up 3"]);
    const gaveUp = events.at(-1)!;
    expect(gaveUp).toMatchObject({ state: "gave-up", attempts: 3 });
    expect(gaveUp.error?.code).toBe("ConnectionError");
    expect(gaveUp.reason).toContain(`cannot connect to ws://127.0.0.1:${port}: connection refused`);
    expect(a.state).toBe("closed");
  });

  it("a refused connection is not retried: VersionMismatch, AddressInUse and Unauthenticated are final", async () => {
    const hub = await hubOn();
    await agent(hub, "taken");
    await expect(agent(hub, "taken", { retryAttempts: 5 })).rejects.toMatchObject({ code: "AddressInUse" });
  });
});

describe("WebSocket client: connection failures in plain words", () => {
  it("nothing listening: ConnectionError 'connection refused', the socket error as its cause", async () => {
    const hub = await hubOn();
    const url = hub.url;
    await hub.close();
    const error = await WebSocketTransport.client({ url, agentId: "a" }).catch((e: unknown) => e);
    expect(TransportError.is(error, "ConnectionError")).toBe(true);
    expect((error as Error).message).toBe(`ConnectionError: cannot connect to ${url}: connection refused`);
    expect(((error as Error).cause as { code?: string }).code).toBe("ECONNREFUSED");
  });

  it("a taken port: AddressInUse naming the address once", async () => {
    const hub = await hubOn();
    const bindAddr = `127.0.0.1:${hub.port}`;
    const error = await WebSocketTransport.server({ bindAddr }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`AddressInUse: cannot listen on ${bindAddr}: address already in use`);
  });

  it("a port past 65535: InvalidAddress, not a raw RangeError", async () => {
    await expect(WebSocketTransport.server({ bindAddr: "127.0.0.1:99999" })).rejects.toMatchObject({ code: "InvalidAddress" });
  });
});
