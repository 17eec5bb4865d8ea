import { afterEach, describe, expect, it } from "vitest";
import { Message, SharedMemorySegment, SharedMemoryTransport, TransportError } from "../../src/index.js";
import type { PeerGoneEvent } from "../../src/transport/transport.js";
import { spawnSharedMemoryWorker } from "../../src/node.js";
import type { ScriptData } from "./fixtures/shared-memory-worker.js";
import { receiveWithin } from "../transport/conformance.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const script = new URL("./fixtures/shared-memory-worker.mjs", import.meta.url);

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

/** Byte equality without vitest's per-element diffing (slow on megabytes). */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Sends until one send has to wait for ring space (the reader is not reading); returns that
 * send, settled. A send with room settles in microtasks, so one still pending a turn later
 * waits. Gives up after `maxSends`: the rings here (4 KiB at most) fill after a few dozen.
 */
async function fillUntilBlocked(main: SharedMemoryTransport, maxSends = 1000): Promise<{ settled: Promise<unknown> }> {
  for (let sent = 0; sent < maxSends; sent++) {
    let settled = false;
    const send = main.send("worker", Message.event("main", "fill", new Uint8Array(100))).finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    if (!settled) return { settled: send.catch((e: unknown) => e) };
  }
  throw new Error(`gave up after ${maxSends} sends waiting for one to wait for ring space (is the worker reading?)`);
}

// Real worker threads on a real segment; torn down after each test.
describe("SharedMemoryTransport with worker threads", () => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });

  async function setup(data: Omit<ScriptData, "address" | "peer">, ringBufferSize = 4 * KiB, config: ScriptData["config"] = {}) {
    const segment = SharedMemorySegment.create({ name: "workers", size: 4 * MiB, ringBufferSize });
    const main = await SharedMemoryTransport.attach(segment, "main", config);
    const worker = spawnSharedMemoryWorker<ScriptData>(script, segment, { workerData: { ...data, address: "worker", peer: "main" } });
    const errors: unknown[] = [];
    worker.on("error", (error) => errors.push(error));
    const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
    cleanup.push(async () => {
      await main.close();
      await worker.terminate();
      segment.close();
    });
    await new Promise((resolve) => worker.once("message", resolve)); // attached
    return { segment, main, worker, errors, exited };
  }

  it("keeps order and content while the ring wraps thousands of times", async () => {
    const count = 3000;
    const { main, worker } = await setup({ scenario: "sequence", count, bytes: 900 });
    for (let i = 0; i < count; i++) {
      const { from, message } = await receiveWithin(main);
      expect(from).toBe("worker");
      expect(sameBytes(message.bytes(), pattern(1 + ((i * 37) % 900), i))).toBe(true);
    }
    worker.postMessage("done");
  });

  it("splits a message larger than the ring and joins it again", async () => {
    const bytes = 3 * MiB;
    const { main, worker } = await setup({ scenario: "big", bytes, config: { maxMessageSize: 4 * MiB } }, 64 * KiB, { maxMessageSize: 4 * MiB });
    const { message } = await receiveWithin(main, 10_000);
    expect(sameBytes(message.bytes(), pattern(bytes, 7))).toBe(true);
    expect(main.stats().messagesReceived).toBe(1);
    worker.postMessage("done");
  });

  it("refuses a chunked message above the receiver's maxMessageSize with MessageTooLarge, then goes on", async () => {
    const { main, worker } = await setup({ scenario: "big", bytes: 300 * KiB, config: { maxMessageSize: 1 * MiB } }, 16 * KiB, { maxMessageSize: 256 * KiB });
    const error = await main.receive().catch((e: unknown) => e);
    expect(TransportError.is(error, "MessageTooLarge")).toBe(true);
    expect((error as TransportError).max).toBe(256 * KiB);
    worker.postMessage("done");
    await expect(main.receive()).rejects.toMatchObject({ code: "Closed" }); // the worker closed; nothing was left
  });

  it("a sender facing a slow reader waits, times out with Timeout, and FIFO holds", async () => {
    const count = 40;
    const { main, worker } = await setup({ scenario: "slow-reader", count }, 1 * KiB, { connectionTimeoutMs: 100 });
    const sent: number[] = [];
    let timedOut: unknown;
    for (let i = 0; timedOut === undefined; i++) {
      await main.send("worker", Message.event("main", "n", { i })).then(
        () => sent.push(i),
        (error: unknown) => (timedOut = error),
      );
    }
    expect(TransportError.is(timedOut, "Timeout")).toBe(true);
    expect(main.stats().errors).toBe(1);
    // Queue the rest behind the full ring, then let the reader go: all arrive, in order.
    const rest: Promise<void>[] = [];
    for (let i = sent.length; sent.length + rest.length < count; i++) rest.push(main.send("worker", Message.event("main", "n", { i: i })));
    const report = new Promise<{ seen: number[] }>((resolve) => worker.once("message", resolve));
    worker.postMessage("read");
    await Promise.all(rest);
    const expected = [...sent, ...Array.from({ length: rest.length }, (_, k) => sent.length + k)];
    expect((await report).seen).toEqual(expected);
    worker.postMessage("done");
  });

  it("a worker closing settles the main thread's pending receive and pending send with Closed", async () => {
    const { main, worker, exited } = await setup({ scenario: "close-on-command" }, 1 * KiB, { connectionTimeoutMs: 60_000 });
    const gone: PeerGoneEvent[] = [];
    main.onPeerGone((event) => gone.push(event));
    const { settled: blocked } = await fillUntilBlocked(main);
    const pending = main.receive().catch((e: unknown) => e);
    worker.postMessage("close");
    expect(await blocked).toMatchObject({ code: "Closed" });
    expect(await pending).toMatchObject({ code: "Closed" });
    expect(gone).toEqual([{ address: "worker", reason: "closed" }]);
    expect(main.isConnected()).toBe(false);
    expect(await exited).toBe(0);
  });

  it("the main thread closing wakes a worker blocked in receive, which then exits cleanly", async () => {
    const { main, exited, errors } = await setup({ scenario: "echo" });
    await main.send("worker", Message.event("main", "ping"));
    expect((await receiveWithin(main)).message.payload("event")?.name).toBe("ping");
    await main.close();
    expect(await exited).toBe(0); // its for-await ended with Closed
    expect(errors).toEqual([]);
  });

  it("a crashed worker is detected: onPeerGone fires and pending work fails at once", async () => {
    const { main, worker, errors, exited } = await setup({ scenario: "crash-on-command" }, 1 * KiB, { connectionTimeoutMs: 60_000 });
    const gone = new Promise<PeerGoneEvent>((resolve) => main.onPeerGone(resolve));
    await main.send("worker", Message.event("main", "hello"));
    const pending = main.receive().catch((e: unknown) => e);
    const { settled: blocked } = await fillUntilBlocked(main); // the worker never reads
    worker.postMessage("crash");
    expect(await exited).toBe(1);
    expect(await gone).toMatchObject({ address: "worker", reason: "its thread died" });
    expect(await pending).toMatchObject({ code: "Closed" });
    expect(await blocked).toMatchObject({ code: "Closed" });
    expect(String(errors[0])).toMatch(/crashed on purpose/);
    await expect(main.send("worker", Message.event("main", "x"))).rejects.toMatchObject({ code: "InvalidAddress" });
  });

  it("a corrupted record header is reported as SerializationError and the process carries on", async () => {
    const { segment, main, worker } = await setup({ scenario: "sequence", count: 2, bytes: 10 });
    await new Promise((resolve) => worker.once("message", resolve)); // both are in the ring
    const first = await receiveWithin(main);
    expect(sameBytes(first.message.bytes(), pattern(1, 0))).toBe(true);
    // Overwrite the header of the next record (the worker's second message) with a hostile length.
    const { layout } = segment;
    const n = layout.maxEndpoints;
    const index = new Int32Array(segment.buffer, layout.linkTableOffset, n * n)[1 * n + 0]! - 1;
    const ringBase = layout.ringsOffset + index * layout.ringStride;
    const head = new Int32Array(segment.buffer, ringBase, 1)[0]! % layout.ringCapacity;
    new Int32Array(segment.buffer, ringBase + 256 + head, 2)[0] = 0x7fffffff;
    const gone = new Promise<PeerGoneEvent>((resolve) => main.onPeerGone(resolve));
    const error = await main.receive().catch((e: unknown) => e);
    expect(TransportError.is(error, "SerializationError")).toBe(true);
    expect(String(error)).toMatch(/out of bounds/);
    expect((await gone).address).toBe("worker");
    expect(main.stats().errors).toBe(1);
    // The broken ring is never read again, even when the directory changes and is rescanned.
    const other = await SharedMemoryTransport.attach(segment, "other");
    expect(main.tryReceive()).toBeUndefined();
    expect(main.stats().errors).toBe(1);
    await other.close();
    worker.postMessage("done");
  });
});

describe("SharedMemoryTransport lifecycle", () => {
  it("leaves no handle behind: a process that closes its transport exits by itself", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["--import", "tsx", new URL("./fixtures/shared-memory-exit.ts", import.meta.url).pathname], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(output.trim()).toBe("closed");
    expect(code).toBe(0);
  });
});
