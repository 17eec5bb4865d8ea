import { connect } from "@nats-io/transport-node";
import { afterEach, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "../../src/protocol.js";
import { createDemux, createPubSub, Message, RpcError, Status, type PubSub } from "../../src/index.js";
import type { NatsTransport } from "../../src/transports/nats/nats-transport.js";
import { connectAt, describeNats, freshPrefix, useNatsCluster } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait-for.js";

const codec = { maxMessageSize: 1 << 20, enableCompression: false, compressionThreshold: 1024 };

describeNats("pub/sub natively on NATS", () => {
  const cluster = useNatsCluster();
  let transports: NatsTransport[] = [];
  let buses: PubSub[] = [];
  afterEach(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await Promise.all(transports.map((t) => t.close()));
    transports = [];
    buses = [];
  });
  const open = async (ids: string[]) => {
    const prefix = freshPrefix();
    transports = await Promise.all(ids.map((id, i) => connectAt(cluster(), i, id, { subjectPrefix: prefix })));
    buses = transports.map((t) => createPubSub(createDemux(t)));
    return { prefix, buses };
  };

  it("a publish to 20 subscribers on 3 nodes is one message from the publisher", async () => {
    const ids = ["pub", ...Array.from({ length: 20 }, (_, i) => `sub_${i}`)];
    const { buses } = await open(ids);
    const [publisher, ...subscribers] = buses;
    let received = 0;
    for (const bus of subscribers) bus.subscribe("fan.*", (event) => void (event.subject === "fan.go" && received++));
    // every subscription known: the delivery count is the broker's fan-out
    await waitFor(() => publisher!.publish(Message.event("pub", "fan.warmup", {})), { until: (count) => count === 20, what: "all 20 subscriptions to be known" });
    const sent = transports[0]!.stats().messagesSent;
    expect(await publisher!.publish(Message.event("pub", "fan.go", { n: 1 }))).toBe(20);
    expect(transports[0]!.stats().messagesSent - sent).toBe(1);
    await waitFor(() => received, { until: (n) => n === 20, what: "every subscriber to get the event" });
  });

  it("events are our frames on NATS subjects: a plain NATS client reads and publishes them", async () => {
    const { prefix, buses } = await open(["agent"]);
    const seen: unknown[] = [];
    buses[0]!.subscribe("metrics.*", (event) => void seen.push(event.message.json()));
    const raw = await connect({ servers: cluster().nodes[1]!.url });
    try {
      const tap = raw.subscribe(`${prefix}.ev.>`, { max: 1 });
      // a subscriber on another node hears about our subscription only through routes: wait for interest there
      await waitFor(async () => raw.request(`${prefix}.ev.metrics.cpu`, encodeFrame(Message.event("raw", "metrics.cpu", { v: 1 }).envelope, codec), { timeout: 200 }).then(() => true, (e: Error) => !/no responders/i.test(String(e)) && !/503/.test(String(e))), { what: "the subscription to reach node 2" });
      await buses[0]!.publish(Message.event("agent", "metrics.mem", { v: 2 })); // no known remote interest: not published
      raw.publish(`${prefix}.ev.metrics.disk`, encodeFrame(Message.event("raw", "metrics.disk", { v: 3 }).envelope, codec));
      await waitFor(() => seen, { until: (s) => s.some((v) => (v as { v: number }).v === 3), what: "the raw client's event to reach the subscription" });
      for await (const msg of tap) expect(decodeFrame(msg.data, codec).source).toBe("raw");
    } finally {
      await raw.close();
    }
  });

  it("queue groups are NATS queue subscriptions: a raw member shares the work", async () => {
    const { prefix, buses } = await open(["publisher", "worker"]);
    let ours = 0;
    buses[1]!.subscribe("jobs.>", () => void ours++, { queue: "workers" });
    const raw = await connect({ servers: cluster().nodes[2]!.url });
    try {
      let theirs = 0;
      raw.subscribe(`${prefix}.ev.jobs.>`, { queue: "workers", callback: () => void theirs++ });
      await raw.flush();
      await waitFor(() => buses[0]!.hasRemoteInterest("jobs.a"), { what: "the publisher to learn the group" });
      for (let i = 0; i < 200; i++) await buses[0]!.publish(Message.event("publisher", "jobs.a", { i }));
      await waitFor(() => ours + theirs, { until: (n) => n === 200, what: "every job to be taken once" });
      expect(ours).toBeGreaterThan(20);
      expect(theirs).toBeGreaterThan(20);
    } finally {
      await raw.close();
    }
  });

  it("a topic request uses NATS request/reply: answered by a plain NATS responder, 'no responders' at once", async () => {
    const { prefix, buses } = await open(["client"]);
    const raw = await connect({ servers: cluster().nodes[0]!.url });
    try {
      raw.subscribe(`${prefix}.ev.svc.time`, {
        callback: (_e, msg) => {
          const request = decodeFrame(msg.data, codec);
          msg.respond(encodeFrame(Message.response("raw-service", Number(request.headers["swarm-reply"]), { now: 42 }).envelope, codec));
        },
      });
      await raw.flush();
      // nobody announced interest over our protocol: the request goes to NATS anyway
      const reply = await buses[0]!.request("svc.time", {});
      expect(reply.json()).toEqual({ now: 42 });
      const started = performance.now();
      const error = await buses[0]!.request("svc.nobody", {}).catch((e: unknown) => e);
      expect((error as RpcError).code).toBe(Status.UNAVAILABLE);
      expect(String(error)).toContain("no responders");
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await raw.close();
    }
  });
});
