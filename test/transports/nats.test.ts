import { connect } from "@nats-io/transport-node";
import { expect, it } from "vitest";
import { Message } from "../../src/index.js";
import { decodeFrame, encodeFrame } from "../../src/protocol/codec.js";
import { connectAt, describeNats, freshPrefix, natsFactory, useNatsCluster } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait-for.js";
import { describeTransportConformance } from "../transport/conformance.js";

describeNats("NATS transport on a 3-node cluster", () => {
  const cluster = useNatsCluster();
  describeTransportConformance("nats", natsFactory(cluster));
});

describeNats("NATS transport bounds", () => {
  const cluster = useNatsCluster({ nodes: 1 });

  it("a receiver that does not read holds at most its queue and queueCapacityBytes of broadcasts beside it; the rest is dropped and counted", async () => {
    const prefix = freshPrefix();
    const sender = await connectAt(cluster(), 0, "sender", { subjectPrefix: prefix });
    const idle = await connectAt(cluster(), 0, "idle", { subjectPrefix: prefix, queueCapacity: 10, queueCapacityBytes: 4096 });
    try {
      await waitFor(() => sender.peers().includes("idle"), { what: "the sender to know the receiver" });
      const payload = new Uint8Array(500);
      for (let i = 0; i < 100; i++) await sender.broadcast(Message.broadcast("sender", "flood", payload));
      // a marker unicast after the flood; then the server has routed all of it (the sender's
      // PING/PONG), and the receiver has read all of it (its own PING/PONG comes back after)
      await sender.send("idle", Message.event("sender", "marker"));
      await sender.flush();
      await idle.flush();
      expect(idle.stats().messagesDropped).toBeGreaterThan(0);
      let held = 0;
      let marker = false;
      for (let r = idle.tryReceive(); r !== undefined; r = idle.tryReceive()) {
        if (r.message.kind === "event") marker = true;
        else held++;
      }
      while (!marker) {
        if ((await idle.receive({ signal: AbortSignal.timeout(2000) })).message.kind === "event") marker = true;
        else held++;
      }
      // ~520-byte frames: at most 10 queued (4096 bytes allow 8) and 4096 bytes beside
      expect(held).toBeLessThanOrEqual(10 + Math.ceil(4096 / 520));
      expect(held + idle.stats().messagesDropped).toBe(100);
    } finally {
      await Promise.all([sender.close(), idle.close()]);
    }
  });

  it("a sender that ignores credit (raw NATS): the receiver holds its queue and queueCapacityBytes beside it; the rest is dropped, counted, and the sender told QueueFull", async () => {
    const prefix = freshPrefix();
    const idle = await connectAt(cluster(), 0, "idle", { subjectPrefix: prefix, queueCapacity: 10, queueCapacityBytes: 4096 });
    const nc = await connect({ servers: cluster().nodes[0]!.url });
    try {
      const told: string[] = [];
      const codec = { maxMessageSize: 1 << 20, enableCompression: false, compressionThreshold: 1024 };
      nc.subscribe(idle.subjects.agent("rogue"), {
        callback: (_error, msg) => {
          const operation = decodeFrame(msg.data, codec).payload;
          if (operation?.$case === "control" && operation.value.operation?.$case === "undeliverable") told.push(operation.value.operation.value.code);
        },
      });
      const payload = new Uint8Array(500);
      for (let i = 0; i < 100; i++) nc.publish(idle.subjects.agent("idle"), encodeFrame(Message.event("rogue", "flood", payload).to("idle").envelope, codec));
      await nc.flush();
      await idle.flush(); // its PING/PONG comes back after it has read the flood
      let held = 0;
      for (let r = idle.tryReceive(); r !== undefined; r = idle.tryReceive()) held++;
      // ~520-byte frames: at most 10 queued (4096 bytes allow 7) and 4096 bytes beside
      expect(held).toBeLessThanOrEqual(10 + Math.ceil(4096 / 520));
      expect(held + idle.stats().messagesDropped).toBe(100);
      await waitFor(() => told.length, { until: (n) => n === 100 - held, what: "the rogue sender to be told of every drop" });
      expect(new Set(told)).toEqual(new Set(["QueueFull"]));
    } finally {
      await Promise.all([idle.close(), nc.close()]);
    }
  });

  it("a send to a receiver whose window is used up waits for its credit, then goes", async () => {
    const prefix = freshPrefix();
    const sender = await connectAt(cluster(), 0, "sender", { subjectPrefix: prefix });
    const slow = await connectAt(cluster(), 0, "slow", { subjectPrefix: prefix, queueCapacity: 4 });
    try {
      const sends = Array.from({ length: 12 }, (_, i) => sender.send("slow", Message.event("sender", "n", { i })));
      await waitFor(() => slow.stats().messagesReceived === 0 && sender.pendingSends, { until: (pending) => pending === 8, what: "8 sends to wait for credit" });
      const got: unknown[] = [];
      for (let i = 0; i < 12; i++) got.push((await slow.receive({ signal: AbortSignal.timeout(2000) })).message.json());
      await Promise.all(sends);
      expect(got).toEqual(Array.from({ length: 12 }, (_, i) => ({ i })));
    } finally {
      await Promise.all([sender.close(), slow.close()]);
    }
  });
});
