import { isDeepStrictEqual } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, InProcessTransport, RpcError, Status } from "../../src/index.js";
import { waitFor } from "../helpers/wait-for.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe("no call outlives itself (grpc-node#2332, #2446, #2184)", () => {
  // CPU-bound (100,000 calls), not waiting: on a loaded 2-core machine it needs more than 20 s.
  it("100,000 calls with far deadlines, cancels and stream aborts leave no timers, listeners, calls or heap behind", { timeout: 90_000 }, async () => {
    const [clientTransport, serverTransport] = await InProcessTransport.createPair("client", "server");
    const [client, server] = [createDemux(clientTransport), createDemux(serverTransport)];
    createServer(server).add(ComputeServiceDefinition, {
      ...computeService,
      fibonacci(request, context) {
        if (request.n === 0) return new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true }));
        return { value: request.n };
      },
    });
    const compute = createClient(ComputeServiceDefinition, client, { peer: "server" });
    const far = 60 * 60 * 1000;
    /** What is still going on: calls and deadlines on either side, and the process's resources. */
    const state = () => ({ client: client.stats(), server: server.stats(), resources: resources() });
    const callsOver = (now: ReturnType<typeof state>) => now.client.pendingCalls === 0 && now.server.servedCalls === 0;

    const round = async (count: number) => {
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        switch (i % 3) {
          case 0:
            work.push(compute.fibonacci({ n: 7 }, { deadline: far }));
            break;
          case 1: {
            const controller = new AbortController();
            work.push(compute.fibonacci({ n: 0 }, { deadline: far, signal: controller.signal }).catch((e: RpcError) => expect(e.code).toBe(Status.CANCELLED)));
            queueMicrotask(() => controller.abort());
            break;
          }
          case 2:
            work.push(
              (async () => {
                for await (const tick of compute.countTo({ n: 1000, delayMs: 0 }, { deadline: far })) if (tick.value === 2) break;
              })(),
            );
        }
      }
      await Promise.all(work);
    };

    await round(3000); // warm up: JIT, maps and pools at their working size
    await waitFor(state, { until: callsOver, what: "the warm-up's calls to end on both sides" });
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const before = resources();
    for (let done = 0; done < 100_000; done += 1000) await round(1000);
    // cancels and stream aborts reach the server after the callers have their outcome
    await waitFor(state, { until: (now) => callsOver(now) && isDeepStrictEqual(now.resources, before), what: "every call to end on both sides and the resources to return to the warm-up's" });
    gc();

    expect(client.stats()).toMatchObject({ pendingCalls: 0 });
    expect(server.stats()).toMatchObject({ servedCalls: 0 });
    expect(resources()).toEqual(before);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 1024 * 1024);
    await Promise.all([client.close(), server.close(), clientTransport.close(), serverTransport.close()]);
  });
});
