import { afterEach, describe, expect, it } from "vitest";
import { ComputeServiceDefinition, computeService } from "../../src/cli/example-service.js";
import { callMethod, createClient, createDemux, createPubSub, createServer, Message, RpcError, Status, TransportError, type PubSub, type ReceivedEvent, type Transport } from "../../src/index.js";
import { waitFor } from "../helpers/wait-for.js";
import { until } from "../rpc/rpc-suite.js";
import type { ConformanceFactory, ConformanceNetwork } from "../transport/conformance.js";

/**
 * Resolves once `observer` knows every subscription `peers` have made so far. Each peer then
 * subscribes to a marker subject of its own; one agent's announcements arrive in order (FIFO
 * per sender), so the observer knowing a peer's marker proves it knows the peer's earlier
 * subscriptions too, which `hasRemoteInterest` alone cannot tell when several peers match.
 */
async function learnedSubscriptions(observer: PubSub, peers: PubSub[]): Promise<void> {
  for (const peer of peers) {
    const marker = `marker.${peer.transport.localAddress}`;
    peer.subscribe(marker);
    await waitFor(() => observer.hasRemoteInterest(marker), { what: `${observer.transport.localAddress} to learn ${peer.transport.localAddress}'s subscriptions` });
  }
}

/** Like the conformance factories, and each network also takes a late joiner. */
export type PubSubFactory = (...args: Parameters<ConformanceFactory>) => Promise<ConformanceNetwork & Required<Pick<ConformanceNetwork, "join">>>;

/** Pub/sub behaviour over one transport kind; every transport runs it with its factory. */
export function describePubSubSuite(name: string, factory: PubSubFactory): void {
  describe(`${name}: pub/sub`, () => {
    let network: Awaited<ReturnType<PubSubFactory>> | undefined;
    let buses: PubSub[] = [];
    const open = async (addresses: string[], config?: Parameters<ConformanceFactory>[1]) => {
      network = await factory(addresses, config);
      buses = network.transports.map((t: Transport) => createPubSub(createDemux(t)));
      return buses;
    };
    afterEach(async () => {
      await Promise.all(buses.map((b) => b.close()));
      if (network !== undefined) {
        await Promise.all(network.transports.map((t) => t.close()));
        await network.cleanup();
        network = undefined;
      }
    });

    it("wildcard subscriptions receive matching events only, from other agents and locally", async () => {
      const [trainer, monitor] = await open(["trainer", "monitor"]);
      const seen: string[] = [];
      monitor!.subscribe("training.*.loss", (e) => void seen.push(`${e.from}:${e.subject}:${JSON.stringify(e.message.json())}`));
      const local: string[] = [];
      trainer!.subscribe("training.>", (e) => void local.push(e.subject));
      await until(() => trainer!.hasRemoteInterest("training.x.loss"));
      await trainer!.publish(Message.event("trainer", "training.epoch42.loss", { loss: 0.0012 }));
      await trainer!.publish(Message.event("trainer", "training.epoch42.accuracy", { acc: 0.9 }));
      await until(() => seen.length === 1 && local.length === 2);
      expect(seen).toEqual(['trainer:training.epoch42.loss:{"loss":0.0012}']);
      expect(local).toEqual(["training.epoch42.loss", "training.epoch42.accuracy"]);
    });

    it("events nobody wants never cross the wire", async () => {
      const [publisher, other] = await open(["publisher", "other"]);
      other!.subscribe("wanted.>", () => undefined);
      await until(() => publisher!.hasRemoteInterest("wanted.x"));
      const before = publisher!.transport.stats().messagesSent;
      expect(await publisher!.publish(Message.event("publisher", "unwanted.thing", {}))).toBe(0);
      expect(publisher!.transport.stats().messagesSent).toBe(before);
      expect(await publisher!.publish(Message.event("publisher", "wanted.thing", {}))).toBe(1);
      expect(publisher!.transport.stats().messagesSent).toBe(before + 1);
    });

    it("unsubscribe stops delivery and tells the publishers", async () => {
      const [publisher, subscriber] = await open(["publisher", "subscriber"]);
      const seen: number[] = [];
      const subscription = subscriber!.subscribe("ticks", (e) => void seen.push(e.message.json<{ i: number }>()!.i));
      await until(() => publisher!.hasRemoteInterest("ticks"));
      await publisher!.publish(Message.event("publisher", "ticks", { i: 1 }));
      await until(() => seen.length === 1);
      await subscription.unsubscribe();
      await until(() => !publisher!.hasRemoteInterest("ticks"));
      expect(await publisher!.publish(Message.event("publisher", "ticks", { i: 2 }))).toBe(0);
      expect(seen).toEqual([1]);
    });

    it("iterating a subscription with for await", async () => {
      const [publisher, subscriber] = await open(["publisher", "subscriber"]);
      const subscription = subscriber!.subscribe("jobs.*");
      await until(() => publisher!.hasRemoteInterest("jobs.a"));
      for (let i = 0; i < 3; i++) await publisher!.publish(Message.event("publisher", `jobs.${i}`, { i }));
      const seen: string[] = [];
      for await (const event of subscription) {
        seen.push(event.subject);
        if (seen.length === 3) break; // return() unsubscribes
      }
      expect(seen).toEqual(["jobs.0", "jobs.1", "jobs.2"]);
      expect(subscription.isClosed).toBe(true);
    });

    it("queue groups: each event reaches one member, spread across agents", async () => {
      const [publisher, w1, w2] = await open(["publisher", "w1", "w2"]);
      const got = { w1: 0, w2: 0 };
      w1!.subscribe("work.>", () => void got.w1++, { queue: "workers" });
      w2!.subscribe("work.>", () => void got.w2++, { queue: "workers" });
      await learnedSubscriptions(publisher!, [w1!, w2!]);
      for (let i = 0; i < 100; i++) await publisher!.publish(Message.event("publisher", "work.item", { i }));
      await until(() => got.w1 + got.w2 === 100);
      expect(got.w1).toBeGreaterThan(20);
      expect(got.w2).toBeGreaterThan(20);
    });

    it("a request on a topic gets one answer; requestMany gathers all; nobody subscribed fails at once", async () => {
      const [client, a, b] = await open(["client", "a", "b"]);
      a!.subscribe("math.double", (e) => ({ result: e.message.json<{ n: number }>()!.n * 2, by: "a" }));
      b!.subscribe("math.double", (e) => ({ result: e.message.json<{ n: number }>()!.n * 2, by: "b" }));
      await learnedSubscriptions(client!, [a!, b!]);
      const one = await client!.request("math.double", { n: 21 });
      expect(one.json<{ result: number }>()!.result).toBe(42);
      const all = await client!.requestMany("math.double", { n: 5 }, { timeoutMs: 2000 });
      expect(all.map((m) => m.json<{ by: string }>()!.by).sort()).toEqual(["a", "b"]);
      const started = Date.now();
      const error = await client!.request("nobody.listens", {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).code).toBe(Status.UNAVAILABLE);
      expect((error as RpcError).message).toContain("no responders");
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it("a request to a queue group is load-balanced", async () => {
      const [client, a, b] = await open(["client", "a", "b"]);
      a!.subscribe("svc.echo", () => "a", { queue: "svc" });
      b!.subscribe("svc.echo", () => "b", { queue: "svc" });
      await learnedSubscriptions(client!, [a!, b!]);
      const answers: unknown[] = [];
      for (let i = 0; i < 10; i++) answers.push((await client!.request("svc.echo")).json());
      expect(new Set(answers)).toEqual(new Set(["a", "b"]));
    });

    it("broadcast reaches every agent's matching subscriptions", async () => {
      const [coordinator, w1, w2] = await open(["coordinator", "w1", "w2"]);
      const seen: string[] = [];
      w1!.subscribe("announce.*", (e) => void seen.push(`w1 ${e.subject}`));
      w2!.subscribe("announce.*", (e) => void seen.push(`w2 ${e.subject}`));
      await coordinator!.broadcast(Message.broadcast("coordinator", "announce.task", { id: 1 }));
      await until(() => seen.length === 2);
      expect(seen.sort()).toEqual(["w1 announce.task", "w2 announce.task"]);
    });

    it("FIFO per publisher per subscriber", async () => {
      const [publisher, subscriber] = await open(["publisher", "subscriber"]);
      const seen: number[] = [];
      subscriber!.subscribe("seq", async (e) => {
        seen.push(e.message.json<{ i: number }>()!.i);
        if (seen.length % 10 === 0) await new Promise((r) => setTimeout(r, 1));
      });
      await until(() => publisher!.hasRemoteInterest("seq"));
      for (let i = 0; i < 200; i++) await publisher!.publish(Message.event("publisher", "seq", { i }));
      await until(() => seen.length === 200);
      expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
    });

    it("a backed-up subscriber takes higher priority first; drop-oldest counts what it drops", async () => {
      const [bus] = await open(["solo"]);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seen: string[] = [];
      const subscription = bus!.subscribe(
        "alerts",
        async (e) => {
          seen.push(e.message.json<string>()!);
          if (seen.length === 1) await gate;
        },
        { maxPending: 3, overflow: "drop-oldest" },
      );
      await bus!.publish(Message.event("solo", "alerts", "first")); // handler now blocked
      await bus!.publish(Message.event("solo", "alerts", "low-1").withPriority(10));
      await bus!.publish(Message.event("solo", "alerts", "low-2").withPriority(10));
      await bus!.publish(Message.event("solo", "alerts", "low-3").withPriority(10));
      await bus!.publish(Message.event("solo", "alerts", "urgent").withPriority(255)); // drops low-1
      release();
      await until(() => seen.length === 4);
      expect(seen).toEqual(["first", "urgent", "low-2", "low-3"]);
      expect(subscription.dropped).toBe(1);
      expect(bus!.stats().dropped).toBe(1);
    });

    it("overflow 'error' closes a subscriber that falls behind; 'drop-newest' keeps the oldest", async () => {
      const [bus] = await open(["solo"]);
      const slow = bus!.subscribe("data", { maxPending: 2, overflow: "error" });
      const keepOld = bus!.subscribe("data", undefined, { maxPending: 2, overflow: "drop-newest" });
      for (let i = 0; i < 3; i++) await bus!.publish(Message.event("solo", "data", i));
      expect(slow.isClosed).toBe(true);
      const iterator = slow[Symbol.asyncIterator]();
      const error = await iterator.next().catch((e: unknown) => e);
      expect(TransportError.is(error, "QueueFull")).toBe(true);
      expect(keepOld.dropped).toBe(1);
      const kept: unknown[] = [];
      for await (const e of keepOld) {
        kept.push(e.message.json());
        if (kept.length === 2) break;
      }
      expect(kept).toEqual([0, 1]);
    });

    it("overflow 'block' makes the publisher wait instead of dropping", async () => {
      const [publisher, subscriber] = await open(["publisher", "subscriber"]);
      const seen: number[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      subscriber!.subscribe(
        "flow",
        async (e) => {
          seen.push(e.message.json<number>()!);
          await gate;
        },
        { maxPending: 2, overflow: "block" },
      );
      await until(() => publisher!.hasRemoteInterest("flow"));
      let published = 0;
      const publishing = (async () => {
        for (let i = 0; i < 50; i++) {
          await publisher!.publish(Message.event("publisher", "flow", i));
          published++;
        }
      })();
      // held: the window of 2 unacknowledged plus the one the handler took (its credit came back)
      await until(() => seen.length === 1 && published === 3);
      // credit flows subscriber -> publisher; a call answered after it proves none is on its way
      createServer(publisher!.demux).addMethod("ping", () => "pong");
      expect(await callMethod(subscriber!.demux, "publisher", "ping")).toBe("pong");
      expect(published).toBe(3);
      expect(seen).toEqual([0]);
      release();
      await publishing;
      await until(() => seen.length === 50);
      expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(subscriber!.stats().dropped).toBe(0);
    });

    it("a subscriber blocking its publisher stalls no RPC on the same transports", async () => {
      const [publisher, subscriber] = await open(["publisher", "subscriber"]);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      subscriber!.subscribe("stalled", () => gate, { maxPending: 1, overflow: "block" });
      await until(() => publisher!.hasRemoteInterest("stalled"));
      // the subscriber is held: its handler never returns until released, its window is full
      const publishing = Promise.all(Array.from({ length: 5 }, (_, i) => publisher!.publish(Message.event("publisher", "stalled", i))));
      await until(() => subscriber!.stats().delivered >= 1);
      createServer(subscriber!.demux).add(ComputeServiceDefinition, computeService);
      const compute = createClient(ComputeServiceDefinition, publisher!.demux, { peer: "subscriber" });
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => compute.fibonacci({ n: i % 30 }, { deadline: 10_000 })));
      expect(results).toHaveLength(1000);
      expect(subscriber!.stats().delivered).toBeLessThan(5); // still held while the calls ran
      release();
      await publishing;
    });

    it("a throwing handler is reported and does not stop other handlers", async () => {
      const [bus] = await open(["solo"]);
      const failures: unknown[] = [];
      bus!.onError((f) => failures.push(f.error));
      bus!.subscribe("x", () => {
        throw new Error("handler bug");
      });
      const seen: unknown[] = [];
      bus!.subscribe("x", (e) => void seen.push(e.message.json()));
      await bus!.publish(Message.event("solo", "x", 1));
      await bus!.publish(Message.event("solo", "x", 2));
      await until(() => seen.length === 2);
      expect(failures.map((e) => (e as Error).message)).toEqual(["handler bug", "handler bug"]);
      expect(bus!.stats().handlerErrors).toBe(2);
    });

    it("invalid patterns and subjects get a clear error", async () => {
      const [bus] = await open(["solo"]);
      expect(() => bus!.subscribe("a.>.b")).toThrow(/invalid pattern "a.>.b"/);
      await expect(bus!.publish(Message.event("solo", "a.*", {}))).rejects.toThrow(/invalid subject/);
      await expect(bus!.publish(Message.request("solo", "m", {}))).rejects.toThrow(TypeError);
    });

    it("an agent that joins later learns existing subscriptions; a departed agent's are forgotten", async () => {
      const [publisher, subscriber] = await open(["publisher", "subscriber"]);
      const seen: string[] = [];
      subscriber!.subscribe("late.*", (e) => void seen.push(`${e.from} ${e.subject}`));
      await until(() => publisher!.hasRemoteInterest("late.x"));
      // connected only now: the subscription was announced before this agent existed
      const late = createPubSub(createDemux(await network!.join("late")));
      buses.push(late);
      await waitFor(() => late.hasRemoteInterest("late.x"), { what: "the late joiner to learn the subscription made before it joined" });
      expect(await late.publish(Message.event("late", "late.hello", {}))).toBe(1);
      await waitFor(() => seen.length, { until: (n) => n > 0, what: "the late joiner's event to reach the subscriber" });
      expect(seen).toEqual(["late late.hello"]);
      await subscriber!.transport.close();
      await waitFor(() => ({ publisher: publisher!.hasRemoteInterest("late.x"), late: late.hasRemoteInterest("late.x") }), {
        until: (interest) => !interest.publisher && !interest.late,
        what: "both remaining agents to forget the departed subscriber's subscription",
      });
    });

    it("events and RPC share one transport", async () => {
      const [a, b] = await open(["a", "b"]);
      const seen: ReceivedEvent[] = [];
      b!.subscribe("e", (e) => void seen.push(e));
      await until(() => a!.hasRemoteInterest("e"));
      createServer(b!.demux).addMethod("ping", () => "pong");
      expect(await callMethod(a!.demux, "b", "ping")).toBe("pong");
      await a!.publish(Message.event("a", "e", 1));
      await until(() => seen.length === 1);
    });
  });
}
