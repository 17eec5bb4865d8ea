import { afterEach, describe, expect, it } from "vitest";
import { Message } from "../../src/protocol/message.js";
import type { TransportConfig } from "../../src/transport/config.js";
import { TransportError } from "../../src/transport/errors.js";
import type { ReceivedMessage, Transport } from "../../src/transport/transport.js";
import { waitFor } from "../helpers/wait-for.js";

/** What a transport under test provides: connected endpoints with the given addresses. */
export interface ConformanceNetwork {
  transports: Transport[];
  /** Releases anything the factory made beyond the transports (servers, workers). */
  cleanup(): Promise<void>;
  /** Messages are handed over by reference, never encoded (in-process). */
  byReference?: boolean;
  /**
   * Connects one more endpoint to the running network and adds it to `transports` (a late
   * joiner). Optional: the pub/sub suite's factories have it.
   */
  join?(address: string): Promise<Transport>;
}

export type ConformanceFactory = (addresses: string[], config?: Partial<TransportConfig>) => Promise<ConformanceNetwork>;

/** Settles to the next message or fails the test after `ms`, so a lost message cannot hang the suite. */
export async function receiveWithin(transport: Transport, ms = 2000): Promise<ReceivedMessage> {
  return transport.receive({ signal: AbortSignal.timeout(ms) });
}

/** Active handles/requests that are neither ours nor the runner's, by kind. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/**
 * The behaviour every Transport must have. Each transport's test file calls this with a
 * factory; the same assertions then hold for in-process, shared memory and WebSocket.
 */
export function describeTransportConformance(name: string, factory: ConformanceFactory): void {
  describe(`${name}: Transport conformance`, () => {
    let network: ConformanceNetwork | undefined;
    const open = async (addresses: string[], config?: Partial<TransportConfig>) => {
      network = await factory(addresses, config);
      return network.transports;
    };

    afterEach(async () => {
      if (network !== undefined) {
        await Promise.all(network.transports.map((t) => t.close()));
        await network.cleanup();
        network = undefined;
      }
    });

    it("delivers a message with its sender, payload, headers, priority and ttl intact", async () => {
      const [a, b] = await open(["agent_1", "agent_2"]);
      const sent = Message.request("agent_1", "compute_fibonacci", { n: 42 }).withHeader("authorization", "Bearer t").withPriority(255).withTtl(10);
      await a!.send("agent_2", sent);
      const { from, message } = await receiveWithin(b!);
      expect(from).toBe("agent_1");
      expect(message.kind).toBe("request");
      expect(message.payload("request")?.method).toBe("compute_fibonacci");
      expect(message.json()).toEqual({ n: 42 });
      expect(message.headers).toEqual({ authorization: "Bearer t" });
      expect(message.priority).toBe(255);
      expect(message.ttl).toBe(10);
      expect(message.id).toBe(sent.id);
      expect(message.source).toBe("agent_1");
    });

    it("delivers binary payloads byte for byte", async () => {
      const [a, b] = await open(["a", "b"]);
      const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
      await a!.send("b", Message.event("a", "blob", bytes));
      const { message } = await receiveWithin(b!);
      expect(message.bytes()).toEqual(bytes);
    });

    it("keeps FIFO order per sender", async () => {
      const [a, b] = await open(["a", "b"]);
      const count = 500;
      const sends: Promise<void>[] = [];
      for (let i = 0; i < count; i++) sends.push(a!.send("b", Message.event("a", "seq", { i })));
      await Promise.all(sends);
      const seen: number[] = [];
      for (let i = 0; i < count; i++) seen.push((await receiveWithin(b!)).message.json<{ i: number }>()!.i);
      expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
    });

    it("keeps FIFO order per sender when two senders interleave", async () => {
      const [a, b, c] = await open(["a", "b", "c"]);
      for (let i = 0; i < 50; i++) {
        await a!.send("c", Message.event("a", "seq", { i }));
        await b!.send("c", Message.event("b", "seq", { i }));
      }
      const bySender = new Map<string, number[]>();
      for (let i = 0; i < 100; i++) {
        const { from, message } = await receiveWithin(c!);
        bySender.set(from, [...(bySender.get(from) ?? []), message.json<{ i: number }>()!.i]);
      }
      const expected = Array.from({ length: 50 }, (_, i) => i);
      expect(bySender.get("a")).toEqual(expected);
      expect(bySender.get("b")).toEqual(expected);
    });

    it("broadcast reaches every other endpoint and never the sender", async () => {
      const [a, b, c] = await open(["a", "b", "c"]);
      await a!.broadcast(Message.broadcast("a", "task_assignment", { task: 1 }));
      for (const receiver of [b!, c!]) {
        const { from, message } = await receiveWithin(receiver);
        expect(from).toBe("a");
        expect(message.payload("broadcast")?.topic).toBe("task_assignment");
        await receiver.send("a", Message.event(receiver.localAddress, "marker"));
      }
      // A copy for the sender would have been on its way before b and c even had theirs: it
      // would come before their markers, or be queued by the time both markers are in.
      const received = [await receiveWithin(a!), await receiveWithin(a!)].map(({ from, message }) => `${from} ${message.payload("event")?.name ?? message.kind}`);
      expect(received.sort()).toEqual(["b marker", "c marker"]);
      expect(a!.tryReceive()).toBeUndefined();
    });

    it("rejects an unknown address with InvalidAddress or ConnectionError, and keeps working", async () => {
      const [a, b] = await open(["a", "b"]);
      const error = await a!.send("nobody", Message.event("a", "x")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect(["InvalidAddress", "ConnectionError"]).toContain((error as TransportError).code);
      await a!.send("b", Message.event("a", "still-works"));
      expect((await receiveWithin(b!)).message.payload("event")?.name).toBe("still-works");
    });

    it("rejects a message over maxMessageSize with MessageTooLarge{size,max}, and keeps working", async () => {
      const max = 64 * 1024;
      const [a, b] = await open(["a", "b"], { maxMessageSize: max });
      const error = await a!.send("b", Message.event("a", "big", new Uint8Array(max + 1))).catch((e: unknown) => e);
      expect(TransportError.is(error, "MessageTooLarge")).toBe(true);
      expect((error as TransportError).max).toBe(max);
      expect((error as TransportError).size).toBeGreaterThan(max);
      await a!.send("b", Message.event("a", "fits", new Uint8Array(max - 200)));
      expect((await receiveWithin(b!)).message.bytes()?.length).toBe(max - 200);
    });

    it("a pending receive rejects with Closed when the transport closes, and later calls too", async () => {
      const [a] = await open(["a", "b"]);
      const pending = a!.receive();
      await a!.close();
      await expect(pending).rejects.toMatchObject({ code: "Closed" });
      await expect(a!.receive()).rejects.toMatchObject({ code: "Closed" });
      await expect(a!.send("b", Message.event("a", "x"))).rejects.toMatchObject({ code: "Closed" });
      expect(a!.isConnected()).toBe(false);
      await a!.close(); // idempotent
    });

    it("receive honours an AbortSignal and takes nothing", async () => {
      const [a, b] = await open(["a", "b"]);
      const controller = new AbortController();
      const pending = b!.receive({ signal: controller.signal });
      controller.abort();
      await expect(pending).rejects.toMatchObject({ code: "Aborted" });
      await a!.send("b", Message.event("a", "after-abort"));
      expect((await receiveWithin(b!)).message.payload("event")?.name).toBe("after-abort");
    });

    it("for await receives until the transport closes, then ends", async () => {
      const [a, b] = await open(["a", "b"]);
      for (let i = 0; i < 3; i++) await a!.send("b", Message.event("a", "tick", { i }));
      const seen: number[] = [];
      for await (const { message } of b!) {
        seen.push(message.json<{ i: number }>()!.i);
        if (seen.length === 3) void b!.close();
      }
      expect(seen).toEqual([0, 1, 2]);
    });

    it("tryReceive drains queued messages synchronously and returns undefined when empty", async () => {
      const [a, b] = await open(["a", "b"]);
      expect(b!.tryReceive()).toBeUndefined();
      for (let i = 0; i < 3; i++) await a!.send("b", Message.event("a", "n", { i }));
      const first = await receiveWithin(b!);
      expect(first.message.json()).toEqual({ i: 0 });
      const rest: unknown[] = [];
      for (let r = b!.tryReceive(); r !== undefined; r = b!.tryReceive()) rest.push(r.message.json());
      // a byte transport may still be reading the rest: wait for them
      while (rest.length < 2) rest.push((await receiveWithin(b!)).message.json());
      expect(rest).toEqual([{ i: 1 }, { i: 2 }]);
      expect(b!.stats().messagesReceived).toBe(3);
    });

    it("onPeerGone reports a peer that closes, and this endpoint's own close", async () => {
      const [a, b] = await open(["a", "b"]);
      await a!.send("b", Message.event("a", "hello"));
      await receiveWithin(b!);
      const seenByA: (string | undefined)[] = [];
      const seenByB: (string | undefined)[] = [];
      a!.onPeerGone((e) => seenByA.push(e.address));
      const off = b!.onPeerGone((e) => seenByB.push(e.address));
      await b!.close();
      await waitFor(() => seenByA, { until: (seen) => seen.includes("b"), what: 'a to report "b" gone' });
      expect(seenByB).toEqual([undefined]);
      off();
    });

    it("stats count messages, errors and activity", async () => {
      const [a, b] = await open(["a", "b"]);
      const before = Date.now();
      await a!.send("b", Message.event("a", "one"));
      await a!.send("b", Message.event("a", "two"));
      await receiveWithin(b!);
      await receiveWithin(b!);
      await a!.send("nobody", Message.event("a", "x")).catch(() => undefined);
      const sa = a!.stats();
      const sb = b!.stats();
      expect(sa.messagesSent).toBe(2);
      expect(sa.errors).toBe(1);
      expect(sb.messagesReceived).toBe(2);
      expect(sa.lastActivityMs).toBeGreaterThanOrEqual(before);
      expect(sb.lastActivityMs).toBeGreaterThanOrEqual(before);
      // a snapshot does not move afterwards
      await a!.send("b", Message.event("a", "three"));
      expect(sa.messagesSent).toBe(2);
    });

    it("close releases every timer, socket and listener it opened", async () => {
      const baseline = activeResources();
      const [a, b] = await open(["a", "b"], { queueCapacity: 1, connectionTimeoutMs: 60_000 });
      await a!.send("b", Message.event("a", "fills the queue"));
      const blocked = a!.send("b", Message.event("a", "waits for space")).catch((e: unknown) => e);
      const waiting = a!.receive().catch((e: unknown) => e);
      await Promise.all(network!.transports.map((t) => t.close()));
      await network!.cleanup();
      network = undefined;
      expect(TransportError.is(await blocked)).toBe(true);
      expect(await waiting).toMatchObject({ code: "Closed" });
      // Sockets may finish closing after close() resolves, so this waits for them; a leaked
      // timer would not go (connectionTimeoutMs is a minute, far past the wait's deadline).
      const beyondBaseline = () =>
        [...activeResources()].filter(([kind, count]) => count > (baseline.get(kind) ?? 0)).map(([kind, count]) => `${kind}: ${count}, baseline ${baseline.get(kind) ?? 0}`);
      await waitFor(beyondBaseline, { until: (beyond) => beyond.length === 0, what: "the process's active resources to fall back to the baseline" });
      void b;
    });
  });
}

