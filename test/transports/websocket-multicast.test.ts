import { afterEach, describe, expect, it } from "vitest";
import { createDemux, createPubSub, Message, type PubSub, type ReceivedEvent, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { waitFor } from "../helpers/wait-for.js";

/** Hub multicast (docs/wire-format.md, section 5.11): real sockets on 127.0.0.1, port 0. */
describe("websocket hub multicast", () => {
  let hub: WebSocketHub | undefined;
  const clients: WebSocketClientTransport[] = [];
  const buses: PubSub[] = [];

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await hub?.close();
    hub = undefined;
  });

  const start = async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { heartbeatIntervalMs: 0 });
    return hub;
  };

  /** A client and its PubSub; `multicast: false` is a client that does not announce the capability (as older ones). */
  const join = async (agentId: string, multicast = true) => {
    const client = await WebSocketTransport.client({ url: hub!.url, agentId }, { heartbeatIntervalMs: 0, multicast });
    clients.push(client);
    const bus = createPubSub(createDemux(client));
    buses.push(bus);
    return { client, bus };
  };

  /** Publishes probes until `bus` counts `count` deliveries for `subject` (every subscription is known to it). */
  const knows = (bus: PubSub, subject: string, count: number) =>
    waitFor(() => bus.publish(Message.event(bus.transport.localAddress, subject, "probe")), { what: `${count} deliveries of ${subject}`, until: (n) => n === count });

  it("a publish is one envelope from the publisher, whatever the number of subscribers (N = 100) [M1] [M2]", async () => {
    await start();
    const N = 100;
    const { client: publisherClient, bus: publisher } = await join("pub");
    expect(publisherClient.multicast).toBe(true);
    const seen = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const { bus } = await join(`sub_${i}`);
      bus.subscribe("fan.*", (event: ReceivedEvent) => {
        if (event.message.json() !== "probe") seen.set(event.subject, (seen.get(event.subject) ?? 0) + 1);
      });
    }
    await knows(publisher, "fan.probe", N);
    const before = hub!.agentInfo("pub")!.messagesIn;
    const bytesBefore = publisherClient.stats().bytesSent;
    for (let i = 0; i < 10; i++) expect(await publisher.publish(Message.event("pub", `fan.e${i}`, { i }))).toBe(N);
    await waitFor(() => [...seen.values()].reduce((a, b) => a + b, 0), { what: "every subscriber to get every event", until: (n) => n === 10 * N });
    // one envelope (and well under 1 KiB) per publish, where fan-out from the publisher sent N
    // (the hub counts the publisher's session Acks too: at most one per turn)
    expect(hub!.agentInfo("pub")!.messagesIn - before).toBeLessThanOrEqual(20);
    expect(publisherClient.stats().bytesSent - bytesBefore).toBeLessThan(10 * 1024);
    expect([...seen.values()]).toEqual(Array.from({ length: 10 }, () => N));
  });

  it("queue groups are picked at the hub: each event reaches one member, spread across agents [M3]", async () => {
    await start();
    const { bus: publisher } = await join("pub");
    const got = new Map<string, string[]>();
    for (const id of ["w1", "w2", "w3"]) {
      const { bus } = await join(id);
      bus.subscribe("jobs.>", (event) => void got.set(id, [...(got.get(id) ?? []), `${event.subject}|${event.message.headers["swarm-queue"]}`]), { queue: "workers" });
    }
    await knows(publisher, "jobs.probe", 1);
    const before = hub!.agentInfo("pub")!.messagesIn;
    for (let i = 0; i < 30; i++) await publisher.publish(Message.event("pub", `jobs.${i}`, { i }));
    const total = () => [...got.values()].reduce((n, list) => n + list.filter((e) => !e.startsWith("jobs.probe")).length, 0);
    await waitFor(total, { what: "30 jobs delivered", until: (n) => n === 30 });
    expect(hub!.agentInfo("pub")!.messagesIn - before).toBeLessThanOrEqual(60);
    for (const id of ["w1", "w2", "w3"]) expect(got.get(id)!.length).toBeGreaterThan(0);
    expect([...got.values()].flat().every((entry) => entry.endsWith("|workers"))).toBe(true);
    const subjects = [...got.values()].flat().map((e) => e.split("|")[0]).filter((s) => s !== "jobs.probe");
    expect(new Set(subjects).size).toBe(30);
  });

  it("the hub's own endpoint is a subscriber too: a queue group member there is picked like the agents' [M2] [M4]", async () => {
    await start();
    const hubBus = createPubSub(createDemux(hub!));
    buses.push(hubBus);
    const atHub: string[] = [];
    const atAgent: string[] = [];
    hubBus.subscribe("work.>", (event) => void (event.subject !== "work.probe" && atHub.push(String(event.message.headers["swarm-queue"]))), { queue: "crew" });
    const { bus: worker } = await join("worker");
    worker.subscribe("work.>", (event) => void (event.subject !== "work.probe" && atAgent.push(event.subject)), { queue: "crew" });
    const { bus: publisher } = await join("pub");
    await knows(publisher, "work.probe", 1);
    await waitFor(() => publisher.hasRemoteInterest("work.x"), { what: "interest known" });
    for (let i = 0; i < 20; i++) await publisher.publish(Message.event("pub", `work.${i}`, i));
    await waitFor(() => atHub.length + atAgent.length, { what: "20 jobs, once each", until: (n) => n === 20 });
    expect(atHub.length).toBeGreaterThan(0);
    expect(atAgent.length).toBeGreaterThan(0);
    expect(atHub.every((group) => group === "crew")).toBe(true);
  });

  it("a group the publisher belongs to, and metered ('block') subscribers, stay with the publisher [M3] [P5]", async () => {
    await start();
    const { bus: publisher } = await join("pub");
    const local: string[] = [];
    const real = (event: ReceivedEvent) => event.message.json() !== "probe";
    publisher.subscribe("mix.>", (event) => void (real(event) && local.push(event.subject)), { queue: "g" });
    const remote: string[] = [];
    const { bus: member } = await join("member");
    member.subscribe("mix.>", (event) => void (real(event) && remote.push(event.subject)), { queue: "g" });
    const metered: string[] = [];
    const { bus: slow } = await join("slow");
    slow.subscribe("mix.>", (event) => void (real(event) && metered.push(String(event.message.headers["swarm-credit"]))), { overflow: "block", maxPending: 4 });
    const plain: string[] = [];
    const { bus: fast } = await join("fast");
    fast.subscribe("mix.>", (event) => void (real(event) && plain.push(event.subject)));
    await knows(publisher, "mix.probe", 3);
    await waitFor(() => publisher.hasRemoteInterest("mix.x"), { what: "the publisher to know the remote group member" });
    for (let i = 0; i < 20; i++) await publisher.publish(Message.event("pub", `mix.${i}`, { i }));
    await waitFor(() => [local.length + remote.length, metered.length, plain.length], { what: "every delivery", until: ([g, m, p]) => g === 20 && m === 20 && p === 20 });
    expect(local.length).toBeGreaterThan(0);
    expect(remote.length).toBeGreaterThan(0);
    expect(metered.every((lanes) => lanes.startsWith("s:"))).toBe(true);
  });

  it("agents that do not announce multicast publish and receive as before, beside those that do [M1]", async () => {
    await start();
    const { client: oldClient, bus: oldBus } = await join("old", false);
    expect(oldClient.multicast).toBe(false);
    const { bus: newBus } = await join("new");
    const atOld: string[] = [];
    const atNew: string[] = [];
    oldBus.subscribe("x.>", (event) => void (event.subject !== "x.probe" && atOld.push(`${event.from}:${event.subject}`)));
    newBus.subscribe("x.>", (event) => void (event.subject !== "x.probe" && atNew.push(`${event.from}:${event.subject}`)));
    // each counts its own subscription and the other's
    await knows(oldBus, "x.probe", 2);
    await knows(newBus, "x.probe", 2);
    await newBus.publish(Message.event("new", "x.from-new", 1));
    await oldBus.publish(Message.event("old", "x.from-old", 2));
    await waitFor(() => [atOld, atNew], { what: "both events at both", until: ([a, b]) => a.length === 2 && b.length === 2 });
    expect(atOld.sort()).toEqual(["new:x.from-new", "old:x.from-old"]);
    expect(atNew.sort()).toEqual(["new:x.from-new", "old:x.from-old"]);
  });

  it("a subscriber that stops reading is a slow consumer, as for any traffic: dropped past the bound, the others served [M4] [C5]", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { heartbeatIntervalMs: 0, maxConsumerBufferBytes: 256 * 1024, enableCompression: false });
    const config = { heartbeatIntervalMs: 0, enableCompression: false, retryAttempts: 0, resumeSessions: false };
    const { bus: publisher } = await join("pub");
    const { bus: healthy } = await join("healthy");
    let got = 0;
    healthy.subscribe("flood.>", () => void got++, { maxPending: 100_000 });
    const sleeper = await WebSocketTransport.client({ url: hub.url, agentId: "sleeper" }, { ...config, queueCapacity: 8 });
    clients.push(sleeper);
    // subscribes (by hand: no PubSub reads it) and never reads
    await sleeper.broadcast(Message.control("sleeper", { operation: { $case: "subscribe", value: { subscriptionId: 1, pattern: "flood.>", queueGroup: "", window: 0 } } }));
    await knows(publisher, "flood.probe", 2);
    const gone: string[] = [];
    hub.onPeerGone((event) => gone.push(`${event.address}`));
    const chunk = new Uint8Array(16 * 1024);
    let sent = 0;
    for (; sent < 2000 && !gone.includes("sleeper"); sent++) {
      await publisher.publish(Message.event("pub", "flood.x", chunk));
      if (sent % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await waitFor(() => gone, { what: "the sleeper dropped", until: (list) => list.includes("sleeper") });
    expect(hub.hubStats().slowConsumersDropped).toBe(1);
    await waitFor(() => got, { what: "the healthy subscriber to get every publish", until: (n) => n >= sent });
  });

  it("across linked hubs: subscribers beyond a link get one addressed copy each, groups are picked once [M4]", async () => {
    const links = { token: "link-secret" };
    const far = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "far_hub", links }, { heartbeatIntervalMs: 0 });
    try {
      hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "near_hub", links }, { heartbeatIntervalMs: 0 });
      await hub.link(far.url, links);
      const { bus: publisher } = await join("pub");
      const farClient = await WebSocketTransport.client({ url: far.url, agentId: "far_sub" }, { heartbeatIntervalMs: 0 });
      clients.push(farClient);
      const farBus = createPubSub(createDemux(farClient));
      buses.push(farBus);
      const plain: string[] = [];
      const grouped: string[] = [];
      farBus.subscribe("x.>", (event) => void (event.subject !== "x.probe" && plain.push(event.subject)));
      farBus.subscribe("x.>", (event) => void (event.subject !== "x.probe" && grouped.push(event.subject)), { queue: "g" });
      const { bus: near } = await join("near_sub");
      near.subscribe("x.>", (event) => void (event.subject !== "x.probe" && grouped.push(event.subject)), { queue: "g" });
      await knows(publisher, "x.probe", 2);
      await waitFor(() => hub!.remoteAgents(), { what: "the far agent known here", until: (ids) => ids.includes("far_sub") });
      for (let i = 0; i < 10; i++) await publisher.publish(Message.event("pub", `x.${i}`, i));
      await waitFor(() => [plain.length, grouped.length], { what: "every publish once per plain subscriber and per group", until: ([p, g]) => p === 10 && g === 10 });
      expect(new Set(grouped).size).toBe(10);
    } finally {
      await Promise.all(buses.splice(0).map((bus) => bus.close()));
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await far.close();
    }
  });

  it("nobody multicasts as another agent: a spoofed source is refused and reaches no subscriber [W2]", async () => {
    await start();
    const { client: mallory } = await join("mallory");
    const { bus } = await join("victim_sub");
    const seen: string[] = [];
    bus.subscribe("secret.>", (event) => void seen.push(`${event.from}:${event.message.source}`));
    await waitFor(() => hub!.agentInfo("mallory") !== undefined, { what: "mallory registered" });
    const { bus: honest } = await join("honest");
    await knows(honest, "secret.probe", 1);
    seen.length = 0;
    await mallory.broadcast(Message.event("honest", "secret.orders", "forged"));
    await waitFor(() => hub!.hubStats().spoofedSources, { what: "the spoof to be refused", until: (n) => n === 1 });
    await honest.publish(Message.event("honest", "secret.real", "ok"));
    await waitFor(() => seen.length, { what: "the honest event", until: (n) => n === 1 });
    expect(seen).toEqual(["honest:honest"]);
  });
});
