import { afterEach, describe, expect, it } from "vitest";
import { Message, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";
import { until } from "./websocket/raw-peer.js";

const hubs: WebSocketHub[] = [];
const clients: WebSocketClientTransport[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

/** The hubs of these tests accept links presenting this token (and present it when they link). */
const links = { token: "link-secret" };

async function hub(hubId: string): Promise<WebSocketHub> {
  const h = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId, links });
  hubs.push(h);
  return h;
}

async function agent(on: WebSocketHub, agentId: string): Promise<WebSocketClientTransport> {
  const c = await WebSocketTransport.client({ url: on.url, agentId });
  clients.push(c);
  return c;
}

/** hub_a ── hub_b ── hub_c, agent a on hub_a, b on hub_b, c on hub_c; directories in step. */
async function chain() {
  const [ha, hb, hc] = [await hub("hub_a"), await hub("hub_b"), await hub("hub_c")];
  await ha.link(hb.url, links);
  await hc.link(hb.url, links);
  const [a, b, c] = [await agent(ha, "a"), await agent(hb, "b"), await agent(hc, "c")];
  await until(() => ha.remoteAgents().length === 2 && hc.remoteAgents().length === 2 && hb.remoteAgents().length === 2);
  return { ha, hb, hc, a, b, c };
}

describe("WebSocket: linked hubs", () => {
  it("route send(to) hop by hop, both ways, and share directories", async () => {
    const { ha, hb, a, c } = await chain();
    expect(ha.linkedHubs()).toEqual(["hub_b"]);
    expect(hb.linkedHubs().sort()).toEqual(["hub_a", "hub_c"]);
    expect(ha.remoteAgents().sort()).toEqual(["b", "c"]);
    await a.send("c", Message.request("a", "far", { x: 1 }));
    const { from, message } = await receiveWithin(c);
    expect(from).toBe("a");
    expect(message.json()).toEqual({ x: 1 });
    await c.send("a", Message.response("c", message.id, { ok: true }));
    expect((await receiveWithin(a)).message.json()).toEqual({ ok: true });
  });

  it("decrement ttl per hub hop and drop an expired message, counting it", async () => {
    const { ha, hb, a, b, c } = await chain();
    await a.send("b", Message.event("a", "one-hop").withTtl(2));
    expect((await receiveWithin(b)).message.ttl).toBe(1);
    await a.send("c", Message.event("a", "two-hops").withTtl(3));
    expect((await receiveWithin(c)).message.ttl).toBe(1);
    await a.send("c", Message.event("a", "too-far").withTtl(2)); // a→hub_a→hub_b ok (1), hub_b→hub_c: out
    await until(() => hb.hubStats().droppedByTtl === 1);
    await until(() => a.stats().messagesDropped === 1); // Undeliverable from hub_b, relayed by hub_a
    await a.send("c", Message.event("a", "no-ttl"));
    expect((await receiveWithin(c)).message.payload("event")?.name).toBe("no-ttl"); // the expired one never came
    await a.send("b", Message.event("a", "none-left").withTtl(1));
    await until(() => ha.hubStats().droppedByTtl === 1);
    await until(() => a.stats().messagesDropped === 2); // Undeliverable from hub_a
  });

  it("ttl 1 is delivered within one hub; ttl 0 has expired and no hub delivers it", async () => {
    const { ha, a } = await chain();
    const a2 = await WebSocketTransport.client({ url: ha.url, agentId: "a2" });
    clients.push(a2);
    await a.send("a2", Message.event("a", "local").withTtl(1));
    expect((await receiveWithin(a2)).message.ttl).toBe(1);
    await a.send("a2", Message.event("a", "expired").withTtl(0));
    await a.send("b", Message.event("a", "expired").withTtl(0));
    await until(() => ha.hubStats().droppedByTtl === 2 && a.stats().messagesDropped === 2);
    await a.send("a2", Message.event("a", "marker"));
    expect((await receiveWithin(a2)).message.payload("event")?.name).toBe("marker"); // the expired one never came
  });

  it("broadcast reaches agents on every hub once", async () => {
    const { ha, a, b, c } = await chain();
    ha.tryReceive(); // hub_a's application reads it: broadcasts are kept for it
    await b.broadcast(Message.broadcast("b", "everyone", { n: 1 }));
    expect((await receiveWithin(a)).message.json()).toEqual({ n: 1 });
    expect((await receiveWithin(c)).message.json()).toEqual({ n: 1 });
    expect((await receiveWithin(ha)).from).toBe("b");
    await b.send("a", Message.event("b", "after"));
    expect((await receiveWithin(a)).message.payload("event")?.name).toBe("after"); // no duplicate before it
  });

  it("an agent leaving one hub is reported on the others (to whoever watches it); a taken id is refused across hubs", async () => {
    const { ha, hc, a, c } = await chain();
    const gone: (string | undefined)[] = [];
    a.onPeerGone((e) => gone.push(e.address));
    await a.send("c", Message.event("a", "hello")); // a looked c up: it watches c
    await receiveWithin(c);
    await expect(agent(ha, "c")).rejects.toMatchObject({ code: "AddressInUse" });
    await c.close();
    await until(() => gone.includes("c") && !ha.remoteAgents().includes("c"));
    await expect(a.send("c", Message.event("a", "x"))).rejects.toMatchObject({ code: "InvalidAddress" });
    expect(hc.agents()).toEqual([]);
  });

  it("credit flows back across hubs (a small receive window does not stall)", async () => {
    const [ha, hb] = [await hub("hub_a"), await hub("hub_b")];
    await ha.link(hb.url, links);
    const a = await agent(ha, "a");
    const b = await WebSocketTransport.client({ url: hb.url, agentId: "b" }, { queueCapacity: 2 });
    clients.push(b);
    await until(() => ha.remoteAgents().includes("b"));
    const sends = Array.from({ length: 30 }, (_, i) => a.send("b", Message.event("a", "n", { i })));
    const seen: number[] = [];
    for (let i = 0; i < 30; i++) seen.push((await receiveWithin(b)).message.json<{ i: number }>()!.i);
    await Promise.all(sends);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
