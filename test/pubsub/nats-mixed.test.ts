import { expect, it } from "vitest";
import { createDemux, createPubSub, Message, type PubSub } from "../../src/index.js";
import { WebSocketTransport } from "../../src/node.js";
import { connectAt, describeNats, freshPrefix, useNatsCluster } from "../helpers/nats.js";
import { hubsKnow, startHubs } from "../helpers/nats-hubs.js";
import { waitFor } from "../helpers/wait-for.js";

// One swarm, two kinds of agents: one behind a hub on the backplane (pub/sub through its hub,
// one copy per subscriber) and one on NATS directly (native pub/sub).
describeNats("pub/sub between agents behind a hub and agents on NATS", () => {
  const cluster = useNatsCluster();

  it("events, queue groups and topic requests cross both ways", async () => {
    const prefix = freshPrefix();
    const [hub] = await startHubs(cluster(), 1, prefix);
    const onHub = await WebSocketTransport.client({ url: hub!.url, agentId: "on_hub" });
    const onNats = await connectAt(cluster(), 1, "on_nats", { subjectPrefix: prefix });
    const buses: PubSub[] = [createPubSub(createDemux(onHub)), createPubSub(createDemux(onNats))];
    const [hubBus, natsBus] = buses as [PubSub, PubSub];
    try {
      await hubsKnow([hub!], ["on_hub", "on_nats"]);
      const atHub: string[] = [];
      const atNats: string[] = [];
      hubBus.subscribe("to-hub.*", (e) => void atHub.push(e.subject));
      hubBus.subscribe("work.>", (e) => void atHub.push(`worker ${e.subject}`), { queue: "workers" });
      natsBus.subscribe("to-nats.*", (e) => void atNats.push(e.subject));
      natsBus.subscribe("ask.time", () => ({ now: 42 }));
      await waitFor(() => natsBus.hasRemoteInterest("to-hub.x") && natsBus.hasRemoteInterest("work.a") && hubBus.hasRemoteInterest("to-nats.x") && hubBus.hasRemoteInterest("ask.time"), {
        what: "both agents to learn each other's subscriptions",
      });
      expect(await natsBus.publish(Message.event("on_nats", "to-hub.a", {}))).toBe(1);
      expect(await hubBus.publish(Message.event("on_hub", "to-nats.b", {}))).toBe(1);
      expect(await natsBus.publish(Message.event("on_nats", "work.c", {}))).toBe(1);
      await waitFor(() => atHub.length + atNats.length, { until: (n) => n === 3, what: "the three events to arrive, once each" });
      expect(atHub.sort()).toEqual(["to-hub.a", "worker work.c"]);
      expect(atNats).toEqual(["to-nats.b"]);
      const reply = await hubBus.request("ask.time", {});
      expect(reply.json()).toEqual({ now: 42 });
    } finally {
      await Promise.all(buses.map((bus) => bus.close()));
      await Promise.all([onHub.close(), onNats.close()]);
      await hub!.close();
    }
  });
});
