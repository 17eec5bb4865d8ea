// The example ComputeService (proto/swarm/examples/v1/compute.proto), implemented once and
// used by the RPC example, the tests and the benchmarks.
import type { CallContext } from "../rpc/call-context.js";
import type { ServiceImplementation } from "../rpc/server.js";
import { ComputeServiceDefinition } from "../../generated/swarm/examples/v1/compute.js";

export { ComputeServiceDefinition };

/** The n-th Fibonacci number (exact up to n = 78). */
export function fibonacci(n: number): number {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export const computeService: ServiceImplementation<typeof ComputeServiceDefinition> = {
  fibonacci(request) {
    return { value: fibonacci(request.n) };
  },
  async *countTo(request, context: CallContext) {
    for (let i = 1; i <= request.n; i++) {
      if (request.delayMs > 0) await sleep(request.delayMs, context.signal);
      yield { value: i };
    }
  },
  async sum(requests) {
    let total = 0;
    let count = 0;
    for await (const { value } of requests) {
      total += value;
      count++;
    }
    return { total, count };
  },
  async *chat(requests) {
    let seq = 0;
    for await (const { text } of requests) yield { text: `echo: ${text}`, seq: ++seq };
  },
  echo(request) {
    return { payload: request.payload };
  },
};
