import { afterEach, describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, InProcessNetwork, RpcError, Status, type CallContext } from "../../src/index.js";
import { activeCallContext } from "../../src/rpc/call-scope.js";
import { enableAsyncCallContext } from "../../src/node.js";
import { until } from "./rpc-suite.js";

let disable: (() => void) | undefined;
afterEach(() => {
  disable?.();
  disable = undefined;
});

/** client → a, whose Fibonacci calls b without naming its parent (`options` for that call); b reports the time it got. */
function chain(options: { parent?: null } = {}) {
  const network = new InProcessNetwork();
  const [client, a, b] = ["client", "a", "b"].map((address) => createDemux(network.connect(address)));
  const atB: (number | undefined)[] = [];
  createServer(b!).add(ComputeServiceDefinition, {
    ...computeService,
    fibonacci(request, context) {
      atB.push(context.remainingMs());
      return { value: request.n };
    },
  });
  const toB = createClient(ComputeServiceDefinition, a!, { peer: "b", timeoutMs: 60_000 });
  createServer(a!).add(ComputeServiceDefinition, {
    ...computeService,
    async fibonacci(request) {
      await new Promise((resolve) => setTimeout(resolve, 1)); // across an await and a timer
      return toB.fibonacci(request, options);
    },
  });
  const toA = createClient(ComputeServiceDefinition, client!, { peer: "a", timeoutMs: 60_000 });
  return { toA, atB, close: () => network.close() };
}

describe("enableAsyncCallContext (Node, AsyncLocalStorage)", () => {
  it("without it, a handler's calls start afresh (the browser-safe default: pass { parent: context })", async () => {
    const { toA, atB, close } = chain();
    await toA.fibonacci({ n: 3 }, { deadline: 500 });
    expect(atB[0]).toBeGreaterThan(30_000);
    await close();
  });

  it("with it, the calls a handler makes inherit the deadline of the call it serves, across awaits and timers", async () => {
    disable = enableAsyncCallContext();
    const { toA, atB, close } = chain();
    await toA.fibonacci({ n: 3 }, { deadline: 500 });
    expect(atB[0]).toBeGreaterThan(0);
    expect(atB[0]).toBeLessThanOrEqual(500);
    expect(activeCallContext()).toBeUndefined(); // outside any handler
    await close();
  });

  it("parent: null opts one call out", async () => {
    disable = enableAsyncCallContext();
    const { toA, atB, close } = chain({ parent: null });
    await toA.fibonacci({ n: 3 }, { deadline: 500 });
    expect(atB[0]).toBeGreaterThan(30_000);
    await close();
  });

  it("a call made after the call it was made for has ended is cancelled at once", async () => {
    disable = enableAsyncCallContext();
    const network = new InProcessNetwork();
    const [client, a, b] = ["client", "a", "b"].map((address) => createDemux(network.connect(address)));
    createServer(b!).add(ComputeServiceDefinition, computeService);
    const toB = createClient(ComputeServiceDefinition, a!, { peer: "b" });
    let late: Promise<unknown> | undefined;
    let served: CallContext | undefined;
    createServer(a!).add(ComputeServiceDefinition, {
      ...computeService,
      fibonacci(request, context) {
        served = context;
        setTimeout(() => (late = toB.fibonacci(request).catch((error: RpcError) => error.code)), 5);
        return { value: 1 };
      },
    });
    await createClient(ComputeServiceDefinition, client!, { peer: "a" }).fibonacci({ n: 2 });
    await until(() => late !== undefined);
    expect(served!.signal.aborted).toBe(true); // the call it was made for had finished
    expect(await late).toBe(Status.CANCELLED);
    await network.close();
  });
});
