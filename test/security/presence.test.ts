// Presence that scales (issue 13, item 9): a departure is reported only to the agents that
// asked, so half of a hub's idle agents leaving at once costs the hub next to nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Message, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport } from "../../src/node.js";
import { receiveWithin } from "../transport/conformance.js";
import { controlCase, helloPeer, type RawPeer } from "../transports/websocket/raw-peer.js";
import { startHubProcess, type HubProcess } from "./hub-process.js";
import { eventually } from "./wait.js";

const AGENTS = 2000;
const LEAVING = AGENTS / 2;

let hub: HubProcess;
const idle: RawPeer[] = [];
const clients: WebSocketClientTransport[] = [];

beforeAll(async () => {
  hub = await startHubProcess({});
  for (let i = 0; i < AGENTS; i += 100) {
    idle.push(...(await Promise.all(Array.from({ length: 100 }, (_, j) => helloPeer(hub.url, `idle_${i + j}`)))));
  }
}, 60_000);

afterAll(async () => {
  for (const peer of idle) peer.socket.terminate();
  await Promise.all(clients.map((c) => c.close()));
  await hub?.close();
});

function peerGone(peer: RawPeer): string[] {
  return peer.received.flatMap((e) =>
    e.payload?.$case === "control" && e.payload.value.operation?.$case === "peerGone" ? [e.payload.value.operation.value.address] : [],
  );
}

describe("presence (9)", () => {
  it(`${LEAVING} of ${AGENTS} idle agents leave at once: only those who asked hear of it, and the hub keeps answering`, async () => {
    const watcher = await WebSocketTransport.client({ url: hub.url, agentId: "watcher" });
    const census = await WebSocketTransport.client({ url: hub.url, agentId: "census" }, { presence: "all" });
    clients.push(watcher, census);
    const watcherHeard: string[] = [];
    const censusHeard = new Set<string>();
    watcher.onPeerGone((event) => event.address !== undefined && watcherHeard.push(event.address));
    census.onPeerGone((event) => event.address !== undefined && censusHeard.add(event.address));
    await watcher.send("idle_7", Message.event("watcher", "hello")); // its first send looks idle_7 up: a watch
    await eventually(() => idle[7]!.received.some((e) => e.payload?.$case === "event"), "the event at idle_7");

    await hub.report(false, true); // the hub's loop-delay maximum starts over here
    for (const peer of idle.slice(0, LEAVING)) peer.socket.terminate();
    await eventually(async () => (await hub.report()).agents === AGENTS - LEAVING + 2, "every departure to be processed", 30_000);

    // the hub's event loop was never blocked for a second (the bound), and it answers an agent now
    expect((await hub.report()).loopDelayMaxMs).toBeLessThan(1000);
    await watcher.send("idle_1500", Message.event("watcher", "still-there"));
    await eventually(() => idle[1500]!.received.some((e) => e.payload?.$case === "event"), "the event at idle_1500");

    // only those who asked heard: the watcher of idle_7 once, the presence subscriber of all, no idle agent of any
    await eventually(() => censusHeard.size === LEAVING, "the presence subscriber to hear every departure");
    expect(watcherHeard).toEqual(["idle_7"]);
    const noticesToIdle = idle.slice(LEAVING).reduce((sum, peer) => sum + peerGone(peer).length, 0);
    expect(noticesToIdle).toBe(0);
    expect(idle[LEAVING]!.received.filter((e) => controlCase(e) !== "helloAck" && e.payload?.$case !== "heartbeat")).toEqual([]);
    await watcher.send("census", Message.event("watcher", "bye"));
    expect((await receiveWithin(census)).message.payload("event")?.name).toBe("bye");
  }, 60_000);
});
