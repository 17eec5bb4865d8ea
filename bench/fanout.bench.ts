/**
 * Pub/sub fan-out: one publisher, N subscribers (1, 10, 100), events of 64 bytes, over the
 * in-process transport and over WebSocket through a hub in a worker thread. The peer is raw
 * `ws` broadcasting the same bytes (a server in the same worker sending each message to every
 * subscriber socket), measured in the same run. Over a hub that multicasts (capability
 * "multicast", docs/wire-format.md 5.11) the publisher sends one frame per publish and the
 * hub fans it out, as the peer's server does.
 *
 * One operation is a burst of BURST events, complete when every subscriber has all of them;
 * ops/s is reported as events delivered per second (BURST × N per operation), p50/p99 are the
 * burst's completion times.
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { WebSocket } from "ws";
import { createDemux, createPubSub, InProcessNetwork, Message, type PubSub, type Transport } from "../src/index.js";
import { WebSocketTransport } from "../src/node.js";
import { alternate, measureOnce, ROUNDS, type Measurement } from "./harness.js";
import type { Benchmark, BenchRecord, BenchTransport } from "./types.js";

const BURST = 16;
const PAYLOAD = new Uint8Array(64).fill(0x2a);
const SUBJECT = "bench.fanout";
/** How long a burst may take before the run fails instead of waiting forever. */
const STALL_MS = 30_000;

/** Counts deliveries and resolves waiters when a total is reached. */
class Deliveries {
  count = 0;
  #target = 0;
  #resolve: (() => void) | undefined;

  add(): void {
    if (++this.count >= this.#target && this.#resolve !== undefined) {
      const resolve = this.#resolve;
      this.#resolve = undefined;
      resolve();
    }
  }

  /**
   * Resolves once `target` deliveries have arrived; rejects after `timeoutMs` without them (a
   * lost event or a subscriber the hub dropped would otherwise hang the run).
   */
  until(target: number, timeoutMs = STALL_MS): Promise<void> {
    if (this.count >= target) return Promise.resolve();
    this.#target = target;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#resolve = undefined;
        reject(new Error(`fan-out stalled: ${this.count} of ${target} deliveries after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

async function farSide() {
  const worker = new Worker(new URL("./fanout-hub.worker.js", import.meta.url));
  const [urls] = (await once(worker, "message")) as [{ hubUrl: string; rawUrl: string }];
  return {
    ...urls,
    async close() {
      worker.postMessage("close");
      await once(worker, "message");
      await worker.terminate();
    },
  };
}

/** Our side: a publisher and N subscribing PubSubs on `transports` (the first publishes). */
async function oursOp(transports: Transport[], subscribers: number) {
  const buses: PubSub[] = transports.map((t) => createPubSub(createDemux(t)));
  const deliveries = new Deliveries();
  for (const bus of buses.slice(1)) bus.subscribe(SUBJECT, () => deliveries.add(), { maxPending: 10_000 });
  const publisher = buses[0]!;
  // wait until every subscriber is known to the publisher: a probe must reach all of them
  for (let tries = 0; ; tries++) {
    const before = deliveries.count;
    const reached = await publisher.publish(Message.event(publisher.transport.localAddress, SUBJECT, PAYLOAD));
    await deliveries.until(before + reached);
    if (reached === subscribers) break;
    if (tries > 500) throw new Error(`only ${reached} of ${subscribers} subscribers became known`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const op = async () => {
    const target = deliveries.count + BURST * subscribers;
    const sends: Promise<number>[] = [];
    for (let i = 0; i < BURST; i++) sends.push(publisher.publish(Message.event(publisher.transport.localAddress, SUBJECT, PAYLOAD)));
    await Promise.all(sends);
    await deliveries.until(target);
  };
  return { op, close: () => Promise.all(buses.map((b) => b.close())) };
}

/** The peer: raw ws broadcast of the same bytes through the worker's server. */
async function rawOp(rawUrl: string, subscribers: number) {
  const deliveries = new Deliveries();
  const subs = await Promise.all(
    Array.from({ length: subscribers }, async () => {
      const socket = new WebSocket(`${rawUrl}/sub`, { perMessageDeflate: false });
      socket.on("message", () => deliveries.add());
      await once(socket, "open");
      return socket;
    }),
  );
  const pub = new WebSocket(`${rawUrl}/pub`, { perMessageDeflate: false });
  await once(pub, "open");
  await new Promise((r) => setTimeout(r, 50)); // the server has registered every /sub socket
  const op = async () => {
    const target = deliveries.count + BURST * subscribers;
    for (let i = 0; i < BURST; i++) pub.send(PAYLOAD);
    await deliveries.until(target);
  };
  return {
    op,
    close: async () => {
      for (const socket of [pub, ...subs]) socket.terminate();
    },
  };
}

async function fanOut(transport: BenchTransport, subscribers: number, quick: boolean): Promise<BenchRecord> {
  const far = await farSide();
  const closers: (() => Promise<unknown>)[] = [() => far.close()];
  try {
    let transports: Transport[];
    if (transport === "in-process") {
      const network = new InProcessNetwork();
      closers.unshift(() => network.close());
      transports = ["publisher", ...Array.from({ length: subscribers }, (_, i) => `sub_${i}`)].map((id) => network.connect(id));
    } else {
      transports = [];
      for (const id of ["publisher", ...Array.from({ length: subscribers }, (_, i) => `sub_${i}`)]) {
        // compression off, as in websocket.bench.ts: the peer sends its 64 bytes plain, and a
        // burst batched into one frame would pass the 1 KiB threshold and be gzip'd
        transports.push(await WebSocketTransport.client({ url: far.hubUrl, agentId: id }, { heartbeatIntervalMs: 0, enableCompression: false }));
      }
      closers.unshift(() => Promise.all(transports.map((t) => t.close())));
    }
    const ours = await oursOp(transports, subscribers);
    closers.unshift(ours.close);
    const peer = await rawOp(far.rawUrl, subscribers);
    closers.unshift(peer.close);
    const options = { quick, latencyCount: quick ? 200 : 1000 };
    const [m, p] = await alternate(
      ROUNDS,
      () => measureOnce(ours.op, options, 20),
      () => measureOnce(peer.op, options, 20),
    );
    const perEvent = (x: Measurement): Measurement => ({ ...x, opsPerSec: x.opsPerSec * BURST * subscribers });
    const mm = perEvent(m);
    const pp = perEvent(p);
    return {
      name: `${transport}/fan-out-${subscribers}/64B`,
      transport,
      pattern: `fan-out-${subscribers}`,
      payloadBytes: PAYLOAD.length,
      opsPerSec: mm.opsPerSec,
      p50Us: mm.p50Us,
      p99Us: mm.p99Us,
      peer: "ws",
      peerOpsPerSec: pp.opsPerSec,
      ratio: mm.opsPerSec / pp.opsPerSec,
    };
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}

export const benchmarks: Benchmark[] = (["in-process", "websocket"] as const).flatMap((transport) =>
  [1, 10, 100].map((n) => ({ name: `${transport}/fan-out-${n}/64B`, run: (c: { quick: boolean }) => fanOut(transport, n, c.quick) })),
);
