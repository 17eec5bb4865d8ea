import { afterEach, describe, expect, it } from "vitest";
import type { Worker } from "node:worker_threads";
import { createClient, createDemux, SharedMemorySegment, SharedMemoryTransport, Status } from "../../src/index.js";
import { spawnSharedMemoryWorker } from "../../src/node.js";
import { TestServiceDefinition } from "./interop-service.js";

const script = new URL("./fixtures/interop-worker.mjs", import.meta.url);

// The interop server in a real worker thread: frames cross threads through the rings, and every
// wake-up is a real cross-thread one (the suites run both ends in one thread).
describe("shared memory across worker threads: gRPC interop cases", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup(config: { connectionTimeoutMs?: number } = {}) {
    const segment = SharedMemorySegment.create({ name: "interop", size: 8 * 1024 * 1024, ringBufferSize: 256 * 1024 });
    const worker: Worker = spawnSharedMemoryWorker(script, segment, { workerData: { address: "server", config } });
    cleanup.push(async () => {
      worker.postMessage("close");
      await worker.terminate();
      segment.close();
    });
    await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    const transport = await SharedMemoryTransport.attach(segment, "client", config);
    cleanup.push(() => transport.close());
    return createClient(TestServiceDefinition, createDemux(transport), { peer: "server", timeoutMs: 60_000 });
  }

  it("large_unary and ping_pong across threads", async () => {
    const test = await setup();
    const response = await test.unaryCall({ responseSize: 314159, payload: { body: new Uint8Array(271828) }, responseStatus: undefined });
    expect(response.payload?.body.length).toBe(314159);
    const sizes: number[] = [];
    const requests = [31415, 9, 2653, 58979].map((size) => ({ responseParameters: [{ size, intervalUs: 0 }], payload: { body: new Uint8Array(8) }, responseStatus: undefined }));
    for await (const reply of test.fullDuplexCall(requests)) sizes.push(reply.payload?.body.length ?? 0);
    expect(sizes).toEqual([31415, 9, 2653, 58979]);
  });

  it("concurrent_large_unary: 1,000 calls of 314 KB in parallel all succeed, though the backlog outlasts connectionTimeoutMs", { timeout: 120_000 }, async () => {
    // Requests and replies queue for the rings far longer than 100 ms: only the calls' deadlines bound that.
    const test = await setup({ connectionTimeoutMs: 100 });
    const request = { responseSize: 314159, payload: { body: new Uint8Array(271828) }, responseStatus: undefined };
    const outcomes = await Promise.all(
      Array.from({ length: 1000 }, () =>
        test.unaryCall(request, { deadline: 60_000 }).then(
          (response) => response.payload?.body.length,
          (error: { code: Status }) => `status ${error.code}`,
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 314159).length).toBe(1000);
  });
});
