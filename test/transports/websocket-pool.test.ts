import { afterEach, describe, expect, it } from "vitest";
import { ConnectionPool } from "../../src/transports/websocket/pool.js";
import { Message, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";
import { until } from "./websocket/raw-peer.js";

const hubs: WebSocketHub[] = [];
let pool: ConnectionPool<WebSocketClientTransport> | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

async function hub(): Promise<WebSocketHub> {
  const h = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" });
  hubs.push(h);
  return h;
}

function makePool(maxConnections: number, idleTimeoutMs: number) {
  let opened = 0;
  pool = new ConnectionPool({
    connect: (url) => {
      opened++;
      return WebSocketTransport.client({ url, agentId: "pooled" });
    },
    maxConnections,
    idleTimeoutMs,
  });
  return { pool, opened: () => opened };
}

describe("ConnectionPool", () => {
  it("reuses one connection per URL, also for concurrent acquires", async () => {
    const h = await hub();
    const { pool, opened } = makePool(4, 60_000);
    const [x, y] = await Promise.all([pool.acquire(h.url), pool.acquire(h.url)]);
    expect(x.transport).toBe(y.transport);
    expect(opened()).toBe(1);
    await x.transport.send(h.localAddress, Message.event("pooled", "hi"));
    expect((await receiveWithin(h)).from).toBe("pooled");
    x.release();
    y.release();
    const z = await pool.acquire(h.url);
    expect(z.transport).toBe(x.transport);
    expect(opened()).toBe(1);
  });

  it("closes a connection nobody leases after idleTimeoutMs", async () => {
    const h = await hub();
    const { pool } = makePool(4, 20);
    const lease = await pool.acquire(h.url);
    lease.release();
    lease.release(); // idempotent
    await until(() => lease.transport.state === "closed");
    expect(pool.size).toBe(0);
    await until(() => h.agents().length === 0);
  });

  it("is bounded: evicts the least recently used idle connection, refuses when all are leased", async () => {
    const [h1, h2, h3] = [await hub(), await hub(), await hub()];
    const { pool } = makePool(2, 60_000);
    const first = await pool.acquire(h1.url);
    const second = await pool.acquire(h2.url);
    await expect(pool.acquire(h3.url)).rejects.toMatchObject({ code: "QueueFull" });
    first.release();
    const third = await pool.acquire(h3.url);
    expect(first.transport.state).toBe("closed");
    expect(pool.size).toBe(2);
    expect(third.transport.isConnected()).toBe(true);
    expect(second.transport.isConnected()).toBe(true);
  });

  it("drops a connection that closed on its own and opens a new one", async () => {
    const h = await hub();
    const { pool, opened } = makePool(4, 60_000);
    const lease = await pool.acquire(h.url);
    lease.release();
    await lease.transport.close();
    const again = await pool.acquire(h.url);
    expect(again.transport).not.toBe(lease.transport);
    expect(opened()).toBe(2);
  });
});
