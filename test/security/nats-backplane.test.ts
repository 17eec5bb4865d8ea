import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { afterEach, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, Message, TransportError } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { decodeFrame, encodeFrame } from "../../src/protocol/codec.js";
import { NatsSubjects } from "../../src/transports/nats/nats-subjects.js";
import { connectAt, describeNats, freshPrefix, useNatsCluster } from "../helpers/nats.js";
import { hubsKnow, startHubs } from "../helpers/nats-hubs.js";
import { waitFor } from "../helpers/wait-for.js";
import { within } from "./wait.js";
import { controlCase, helloPeer } from "../transports/websocket/raw-peer.js";

const CODEC = { maxMessageSize: 1 << 20, enableCompression: false, compressionThreshold: 1024 };

/**
 * What a hub on a NATS backplane accepts from it (docs/deployment.md, "Limits and trust"): the
 * cluster is trusted to speak for agents elsewhere, never for the hub's own agents.
 */
describeNats("a hub on a NATS backplane: what the backplane may say", () => {
  const cluster = useNatsCluster({ nodes: 1 });
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  async function rawNats(): Promise<NatsConnection> {
    const nc = await connect({ servers: cluster().nodes[0]!.url });
    closers.push(() => nc.close());
    return nc;
  }

  async function hubs(count: number, prefix: string): Promise<WebSocketHub[]> {
    const started = await startHubs(cluster(), count, prefix);
    closers.push(() => Promise.all(started.map((hub) => hub.close())));
    return started;
  }

  async function agent(hub: WebSocketHub, agentId: string, config: Record<string, unknown> = {}) {
    const transport = await WebSocketTransport.client({ url: hub.url, agentId }, config);
    closers.unshift(() => transport.close());
    return transport;
  }

  it("a message from NATS in the name of one of the hub's own agents (or the hub) is dropped and counted; one from an agent elsewhere is delivered", async () => {
    const prefix = freshPrefix();
    const [hub] = await hubs(1, prefix);
    const alice = await agent(hub!, "alice");
    const bob = await agent(hub!, "bob");
    const nc = await rawNats();
    const subjects = new NatsSubjects(prefix);
    const forge = (source: string, n: number) => nc.publish(subjects.agent("bob"), encodeFrame(Message.event(source, "forged", { n }).to("bob").envelope, CODEC));
    forge("alice", 1);
    forge(hub!.localAddress, 2);
    forge("carol", 3); // an id elsewhere: inside the trust boundary
    await nc.flush();
    const received = await bob.receive({ signal: AbortSignal.timeout(5000) });
    expect(received.from).toBe("carol");
    expect(received.message.json()).toEqual({ n: 3 });
    await waitFor(() => hub!.hubStats().spoofedSources, { until: (n) => n === 2, what: "the hub to count both forgeries" });
    expect(bob.tryReceive()).toBeUndefined();
    expect(alice.stats().messagesSent).toBe(0);
  });

  it("credit from NATS in the name of one of the hub's own agents is dropped", async () => {
    const prefix = freshPrefix();
    const [hub] = await hubs(1, prefix);
    await agent(hub!, "alice");
    const bob = await agent(hub!, "bob");
    const nc = await rawNats();
    const subjects = new NatsSubjects(prefix);
    const credit = Message.control("alice", { operation: { $case: "credit", value: { address: "bob", count: 1_000_000 } } }).to("bob");
    nc.publish(subjects.agent("bob"), encodeFrame(credit.envelope, CODEC));
    await nc.flush();
    await waitFor(() => hub!.hubStats().spoofedSources, { until: (n) => n === 1, what: "the hub to count the forged credit" });
    expect(bob.stats().messagesReceived).toBe(0);
  });

  it("link-level Control from NATS (a pause, compression, a directory entry) is not passed to the hub's agents; end-to-end Control is", async () => {
    const prefix = freshPrefix();
    const [hub] = await hubs(1, prefix);
    const bob = await helloPeer(hub!.url, "bob");
    closers.push(async () => bob.socket.close());
    const nc = await rawNats();
    const subjects = new NatsSubjects(prefix);
    const control = (operation: Parameters<typeof Message.control>[1]["operation"]) => Message.control("carol", { operation }).to("bob").envelope;
    for (const subject of [subjects.agent("bob"), subjects.all]) {
      nc.publish(subject, encodeFrame(control({ $case: "flowControl", value: { pause: true, pressure: 1 } }), CODEC));
      nc.publish(subject, encodeFrame(control({ $case: "setCompression", value: { enabled: true, thresholdBytes: 1 } }), CODEC));
      nc.publish(subject, encodeFrame(control({ $case: "peerGone", value: { address: "alice", reason: "forged" } }), CODEC));
    }
    nc.publish(subjects.agent("bob"), encodeFrame(control({ $case: "cancel", value: { correlationId: 7, reason: "" } }), CODEC));
    nc.publish(subjects.agent("bob"), encodeFrame(Message.event("carol", "after", { ok: true }).to("bob").envelope, CODEC));
    await nc.flush();
    await within(bob.next((e) => e.payload?.$case === "event"), 5000, "the event after the forged Control");
    const arms = bob.received.map((e) => controlCase(e) ?? e.payload?.$case);
    expect(arms).toContain("cancel");
    expect(arms.filter((arm) => arm === "flowControl" || arm === "setCompression" || arm === "peerGone")).toEqual([]);
  });

  it("an agent watches an agent on another hub (Watch{address}) and hears when it leaves; an unknown id is gone at once", async () => {
    const prefix = freshPrefix();
    const [a, b] = await hubs(2, prefix);
    const watcher = await helloPeer(a!.url, "watcher");
    closers.push(async () => watcher.socket.close());
    const far = await WebSocketTransport.client({ url: b!.url, agentId: "far" });
    await hubsKnow([a!, b!], ["watcher", "far"]);
    const watch = (address: string) => watcher.sendEnvelope(Message.control("watcher", { operation: { $case: "watch", value: { address, all: false, stop: false } } }));
    const goneNotice = (address: string) => (e: Envelope) => controlCase(e) === "peerGone" && e.payload?.$case === "control" && e.payload.value.operation?.$case === "peerGone" && e.payload.value.operation.value.address === address;
    watch("nobody");
    watch("far");
    await within(watcher.next(goneNotice("nobody")), 5000, "PeerGone for an id nobody holds");
    await waitFor(() => a!.agentInfo("watcher")?.watching ?? 0, { until: (n) => n === 1, what: "hub A to keep the watch on far" });
    expect(watcher.received.some(goneNotice("far"))).toBe(false);
    await far.close();
    await within(watcher.next(goneNotice("far")), 5000, "PeerGone for far");
  });

  it("the hub's own sends to an agent elsewhere are held to the wire limits (65 headers: SerializationError, nothing published)", async () => {
    const prefix = freshPrefix();
    const [hub] = await hubs(1, prefix);
    const far = await connectAt(cluster(), 0, "far", { subjectPrefix: prefix });
    closers.unshift(() => far.close());
    await hubsKnow([hub!], ["far"]);
    const message = Message.event(hub!.localAddress, "many-headers");
    message.envelope.headers = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`h${i}`, "v"]));
    const error = await hub!.send("far", message).catch((e: unknown) => e);
    expect(TransportError.is(error, "SerializationError"), String(error)).toBe(true);
    await hub!.send("far", Message.event(hub!.localAddress, "fine"));
    expect((await far.receive({ signal: AbortSignal.timeout(5000) })).message.envelope.payload?.$case).toBe("event");
    expect(far.stats().messagesReceived).toBe(1);
  });

  it("call statistics on backplane hubs: a call across them is open on both while it runs and closed on both when it ends", async () => {
    const prefix = freshPrefix();
    const [a, b] = await hubs(2, prefix);
    const callsA = a!.callStats();
    const callsB = b!.callStats();
    const caller = await agent(a!, "caller");
    const callee = await agent(b!, "callee");
    await hubsKnow([a!, b!], ["caller", "callee"]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    createServer(createDemux(callee)).add(ComputeServiceDefinition, { ...computeService, echo: async (request) => (await held, request) });
    const compute = createClient(ComputeServiceDefinition, createDemux(caller), { peer: "callee", timeoutMs: 5000 });
    const call = compute.echo({ payload: new Uint8Array([1]) });
    await waitFor(() => [callsA.making("caller"), callsB.serving("callee")], { until: ([m, s]) => m === 1 && s === 1, what: "both hubs to see the call open" });
    release();
    await call;
    await waitFor(() => [callsA.making("caller"), callsB.serving("callee")], { until: ([m, s]) => m === 0 && s === 0, what: "both hubs to see the call end" });
  });

  it("a hub takes hub links or a backplane, not both", async () => {
    const nats = { servers: cluster().nodes[0]!.url, subjectPrefix: freshPrefix() };
    await expect(WebSocketTransport.server({ bindAddr: "127.0.0.1:0", nats, links: { token: "a link secret" } })).rejects.toThrow(/links and nats do not go together/);
    const [hub] = await hubs(1, nats.subjectPrefix);
    await expect(hub!.link("ws://127.0.0.1:1", { token: "a link secret" })).rejects.toThrow(/NATS backplane/);
  });

  it("a backplane frame over the hub's maxMessageSize is refused before delivery", async () => {
    const prefix = freshPrefix();
    const [hub] = await startHubs(cluster(), 1, prefix, { maxMessageSize: 4096 });
    closers.push(() => hub!.close());
    const bob = await agent(hub!, "bob");
    const nc = await rawNats();
    const subjects = new NatsSubjects(prefix);
    nc.publish(subjects.agent("bob"), encodeFrame(Message.event("carol", "big", new Uint8Array(8192)).to("bob").envelope, CODEC));
    nc.publish(subjects.agent("bob"), encodeFrame(Message.event("carol", "small", { ok: true }).to("bob").envelope, CODEC));
    await nc.flush();
    const received = await bob.receive({ signal: AbortSignal.timeout(5000) });
    expect(decodeFrame(encodeFrame(received.message.envelope, CODEC), CODEC).payload?.$case).toBe("event");
    expect(received.message.json()).toEqual({ ok: true });
    expect(hub!.stats().errors).toBeGreaterThanOrEqual(1);
  });
});
