import { expect, it } from "vitest";
import { createDemux, createPubSub, InProcessTransport, Message, TransportError, type PubSub } from "../../src/index.js";
import type { NatsTransport } from "../../src/transports/nats/nats-transport.js";
import { connectAt, describeNats, freshPrefix, untilJetStream, useNatsCluster } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait-for.js";

describeNats("durable events on JetStream (3-node cluster, 3 replicas)", () => {
  const cluster = useNatsCluster({ jetStream: true });

  const agent = async (prefix: string, id: string, node: number, extra: Record<string, number> = {}): Promise<{ transport: NatsTransport; bus: PubSub }> => {
    const transport = await connectAt(cluster(), node, id, { subjectPrefix: prefix, durableReplicas: 3, ...extra });
    return { transport, bus: createPubSub(createDemux(transport)) };
  };
  const close = async (...agents: { transport: NatsTransport; bus: PubSub }[]) => {
    for (const a of agents) {
      await a.bus.close();
      await a.transport.close();
    }
  };

  it("a durable subscriber that was offline gets what it missed, in order, once", async () => {
    await untilJetStream(cluster());
    const prefix = freshPrefix();
    const publisher = await agent(prefix, "shop", 0);
    let billing = await agent(prefix, "billing", 1);
    const seen: number[] = [];
    const handler = (event: { message: Message }) => void seen.push(event.message.json<{ order: number }>()!.order);
    await billing.bus.subscribeDurable("orders.>", "billing", handler);
    await publisher.bus.publish(Message.event("shop", "orders.created", { order: 0 }), { durable: true });
    await waitFor(() => seen.length, { until: (n) => n === 1, what: "the live durable event" });
    await close(billing); // offline: the process is gone, the consumer's position stays on the server

    for (let order = 1; order <= 50; order++) await publisher.bus.publish(Message.event("shop", order % 2 ? "orders.created" : "orders.paid", { order }), { durable: true });
    billing = await agent(prefix, "billing", 2);
    await billing.bus.subscribeDurable("orders.>", "billing", handler);
    await waitFor(() => seen.length, { until: (n) => n >= 51, what: "the 50 missed events" });
    expect(seen).toEqual(Array.from({ length: 51 }, (_, i) => i));

    // once: attaching again delivers nothing already handled, only what is new
    await close(billing);
    billing = await agent(prefix, "billing", 0);
    await billing.bus.subscribeDurable("orders.>", "billing", handler);
    await publisher.bus.publish(Message.event("shop", "orders.created", { order: 51 }), { durable: true });
    await waitFor(() => seen.length, { until: (n) => n >= 52, what: "the next event" });
    expect(seen).toEqual(Array.from({ length: 52 }, (_, i) => i));
    await close(billing, publisher);
  });

  it("a for-await durable subscription that stops mid-way resumes at the first event it did not take", async () => {
    await untilJetStream(cluster());
    const prefix = freshPrefix();
    const publisher = await agent(prefix, "pub", 0);
    const reader = await agent(prefix, "reader", 1);
    const subscription = await reader.bus.subscribeDurable("log.*", "tail");
    for (let i = 0; i < 10; i++) await publisher.bus.publish(Message.event("pub", "log.line", { i }), { durable: true });
    const taken: number[] = [];
    for await (const event of subscription) {
      taken.push(event.message.json<{ i: number }>()!.i);
      if (taken.length === 4) break; // unsubscribes; 4..9 were never taken
    }
    const again = await reader.bus.subscribeDurable("log.*", "tail");
    for await (const event of again) {
      taken.push(event.message.json<{ i: number }>()!.i);
      if (taken.length === 10) break;
    }
    expect(taken).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await close(reader, publisher);
  });

  it("is bounded by the stream limits in the config: the oldest events go first", async () => {
    await untilJetStream(cluster());
    const prefix = freshPrefix();
    const limits = { durableMaxMessages: 10 };
    const publisher = await agent(prefix, "pub", 0, limits);
    let sub = await agent(prefix, "sub", 1, limits);
    await (await sub.bus.subscribeDurable("metrics.>", "archive")).unsubscribe();
    for (let i = 0; i < 30; i++) await publisher.bus.publish(Message.event("pub", "metrics.cpu", { i }), { durable: true });
    await close(sub);
    sub = await agent(prefix, "sub", 2, limits);
    const seen: number[] = [];
    await sub.bus.subscribeDurable("metrics.>", "archive", (e) => void seen.push(e.message.json<{ i: number }>()!.i));
    await waitFor(() => seen.length, { until: (n) => n >= 10, what: "the 10 events the stream kept" });
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    await close(sub, publisher);
  });

  it("a transport without durable events says NotAvailable", async () => {
    const [a, b] = await InProcessTransport.createPair("a", "b");
    const bus = createPubSub(createDemux(a));
    const error = await bus.publish(Message.event("a", "x.y", {}), { durable: true }).catch((e: unknown) => e);
    expect(TransportError.is(error, "NotAvailable")).toBe(true);
    await expect(bus.subscribeDurable("x.>", "n")).rejects.toMatchObject({ code: "NotAvailable" });
    await bus.close();
    await Promise.all([a.close(), b.close()]);
  });
});

describeNats("durable events survive a JetStream node killed mid-stream", () => {
  const cluster = useNatsCluster({ jetStream: true });

  it("every acknowledged publish reaches the durable subscriber once, in order", async () => {
    await untilJetStream(cluster());
    const prefix = freshPrefix();
    const config = { subjectPrefix: prefix, durableReplicas: 3, heartbeatIntervalMs: 500, connectionTimeoutMs: 2000 };
    const publisher = await connectAt(cluster(), 1, "pub", config);
    const subscriber = await connectAt(cluster(), 0, "sub", config);
    const pubBus = createPubSub(createDemux(publisher));
    const subBus = createPubSub(createDemux(subscriber));
    try {
      const seen: number[] = [];
      await subBus.subscribeDurable("audit.>", "auditor", (e) => void seen.push(e.message.json<number>()!));
      let refused = 0;
      const publish = (n: number) =>
        pubBus.publish(Message.event("pub", "audit.entry", n), { durable: true }).then(
          () => true,
          () => (refused++, false),
        );
      for (let n = 0; n < 100; n++) expect(await publish(n)).toBe(true);
      await cluster().nodes[0]!.kill(); // the subscriber's node, and perhaps the stream's leader
      // a caller retries a refused durable publish; the stream drops a duplicate by message id
      for (let n = 100; n < 200; n++) await waitFor(() => publish(n), { what: `durable publish ${n} to be stored after the failover`, timeoutMs: 15_000 });
      await waitFor(() => seen.length, { until: (count) => count >= 200, what: "the 200 stored events to reach the durable subscriber", timeoutMs: 15_000 });
      console.log(`JetStream node killed: 200 durable publishes stored, ${refused} attempts refused during the failover and retried; ${seen.length} delivered`);
      expect(seen).toEqual(Array.from({ length: 200 }, (_, n) => n)); // in order, once
    } finally {
      await Promise.all([pubBus.close(), subBus.close()]);
      await Promise.all([publisher.close(), subscriber.close()]);
      await cluster().nodes[0]!.restart();
    }
  }, 40_000);
});
