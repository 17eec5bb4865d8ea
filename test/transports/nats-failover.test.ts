import { expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createPubSub, createServer, Message, RpcError, Status } from "../../src/index.js";
import { connectAt, describeNats, freshPrefix, useNatsCluster } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait-for.js";

describeNats("NATS failover: a node killed mid-traffic", () => {
  const cluster = useNatsCluster();

  it("clients fail over, every call settles OK or UNAVAILABLE, no subscription is lost", async () => {
    const prefix = freshPrefix();
    const config = { subjectPrefix: prefix, heartbeatIntervalMs: 500 };
    // the caller and a subscriber sit on node 0, which dies; the server and the publisher elsewhere
    const caller = await connectAt(cluster(), 0, "caller", config);
    const listener = await connectAt(cluster(), 0, "listener", config);
    const server = await connectAt(cluster(), 1, "server", config);
    const publisher = await connectAt(cluster(), 2, "publisher", config);
    const transports = [caller, listener, server, publisher];
    let stop = false;
    try {
      createServer(createDemux(server)).add(ComputeServiceDefinition, computeService);
      const compute = createClient(ComputeServiceDefinition, createDemux(caller), { peer: "server", timeoutMs: 10_000 });
      const listenerBus = createPubSub(createDemux(listener));
      const publisherBus = createPubSub(createDemux(publisher));
      const heard: number[] = [];
      listenerBus.subscribe("ticks.*", (event) => void heard.push(event.message.json<{ n: number }>()!.n));
      await waitFor(() => publisherBus.hasRemoteInterest("ticks.a"), { what: "the publisher to learn the subscription" });

      const outcomes = { ok: 0, unavailable: 0, other: [] as string[] };
      const worker = async () => {
        while (!stop) {
          try {
            await compute.fibonacci({ n: 20 });
            outcomes.ok++;
          } catch (error) {
            if (error instanceof RpcError && error.code === Status.UNAVAILABLE) outcomes.unavailable++;
            else outcomes.other.push(String(error));
            // a call that fails at once must not starve the event loop (and the deadlines waiting on it)
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      };
      const workers = Array.from({ length: 16 }, worker);
      await waitFor(() => outcomes.ok, { until: (n) => n >= 200, what: "traffic to flow" });
      const beforeKill = outcomes.ok;
      const killedAt = performance.now();
      await cluster().nodes[0]!.kill();
      // the callers' connection moves to another node and calls succeed again
      await waitFor(() => outcomes.ok, { until: (n) => n >= beforeKill + 500, what: "calls to succeed again after the failover", timeoutMs: 15_000 });
      const failoverMs = performance.now() - killedAt;
      stop = true;
      await Promise.all(workers); // every call settled: none hangs
      expect(outcomes.other).toEqual([]);
      expect(caller.stats().reconnections).toBe(1);
      await waitFor(() => listener.stats().reconnections, { until: (n) => n === 1, what: "the listener to reconnect to another node" });
      // the subscription survived the failover: a new event reaches it
      const before = heard.length;
      await waitFor(async () => {
        await publisherBus.publish(Message.event("publisher", "ticks.a", { n: heard.length }));
        return heard.length;
      }, { until: (n) => n > before, what: "an event published after the failover to reach the subscription" });
      console.log(`NATS failover: ${outcomes.ok} calls OK, ${outcomes.unavailable} UNAVAILABLE (in flight when node 0 died), calls flowing again ${failoverMs.toFixed(0)} ms after the kill`);
      await listenerBus.close();
      await publisherBus.close();
    } finally {
      stop = true; // a loop must not outlive a failed test
      await Promise.all(transports.map((t) => t.close()));
      await cluster().nodes[0]!.restart();
    }
  });
});
