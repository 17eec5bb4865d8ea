// The example ComputeService (proto/swarm/examples/v1/compute.proto), implemented once and
// used by the RPC example, the tests and the benchmarks.
import { createDemux } from "../demux/demux.js";
import { Message } from "../protocol/message.js";
import { createPubSub } from "../pubsub/pubsub.js";
import type { ReceivedEvent } from "../pubsub/subscription.js";
import type { CallContext } from "../rpc/call-context.js";
import type { ServerInterceptor } from "../rpc/interceptors.js";
import { createServer, type ServiceImplementation } from "../rpc/server.js";
import type { Transport } from "../transport/transport.js";
import { ComputeServiceDefinition } from "../../generated/swarm/examples/v1/compute.js";
import { sleep } from "../transport/sleep.js";

export { ComputeServiceDefinition };

/** The n-th Fibonacci number (exact up to n = 78). */
export function fibonacci(n: number): number {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
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

/** A running example agent (see `serveComputeAgent`). */
export interface ComputeAgent {
  /** Tasks (Fibonacci calls) answered so far. */
  readonly tasks: () => number;
  close(): Promise<void>;
}

/** Options of `serveComputeAgent`. */
export interface ComputeAgentOptions {
  /** Publish `progress.<id>` every this many tasks (default 0: never). */
  progressEvery?: number;
  /** Also publish `progress.<id>` every this many ms, busy or idle (default 0: never). */
  progressIntervalMs?: number;
  /** Told of each broadcast on `announce.>`, after the agent acknowledged it on `announced.<id>`. */
  onAnnouncement?: (event: ReceivedEvent) => void;
  /** Describes the service to a hub, for server reflection (a serialized FileDescriptorSet). */
  fileDescriptorSet?: Uint8Array;
  /** Run around every call served (logging, say). */
  interceptors?: ServerInterceptor[];
}

/**
 * Serves the example service on `transport` as agent `id`, the untyped "compute_fibonacci"
 * method, topic requests on "compute.fibonacci", and publishes `progress.<id>` events
 * ({tasks}) every `progressEvery` tasks and every `progressIntervalMs`. A broadcast on
 * `announce.>` is acknowledged with an event on `announced.<id>` ({subject}). Used by the
 * CLI's `agent` command and the demo.
 */
export function serveComputeAgent(transport: Transport, id: string, options: ComputeAgentOptions = {}): ComputeAgent {
  const every = options.progressEvery ?? 0;
  const intervalMs = options.progressIntervalMs ?? 0;
  let tasks = 0;
  // The agent reads the whole endpoint: one demux for its server and its pub/sub.
  const demux = createDemux(transport);
  const bus = createPubSub(demux);
  const progress = () => void bus.publish(Message.event(id, `progress.${id}`, { tasks })).catch(() => undefined);
  const counted = () => {
    tasks++;
    if (every > 0 && tasks % every === 0) progress();
  };
  // Unref'd: the transport, not a progress report, decides how long the process lives.
  const ticker = intervalMs > 0 ? setInterval(progress, intervalMs) : undefined;
  ticker?.unref?.();
  const server = createServer(demux, {
    ...(options.fileDescriptorSet === undefined ? {} : { fileDescriptorSet: options.fileDescriptorSet }),
    ...(options.interceptors === undefined ? {} : { interceptors: options.interceptors }),
  })
    .add(ComputeServiceDefinition, {
      ...computeService,
      fibonacci(request) {
        counted();
        return { value: fibonacci(request.n) };
      },
    })
    .addMethod("compute_fibonacci", (params) => {
      counted();
      return { value: fibonacci(Number((params as { n?: unknown } | undefined)?.n ?? 0)) };
    });
  bus.subscribe("compute.fibonacci", (event) => ({ value: fibonacci(Number(event.message.json<{ n?: unknown }>()?.n ?? 0)), by: id }));
  // An announcer that subscribed to announced.> before broadcasting is known here by the time
  // its broadcast arrives (both left it in that order), so this acknowledgement reaches it.
  bus.subscribe("announce.>", (event) => {
    void bus.publish(Message.event(id, `announced.${id}`, { subject: event.subject })).catch(() => undefined);
    options.onAnnouncement?.(event);
  });
  return {
    tasks: () => tasks,
    async close() {
      clearInterval(ticker);
      await bus.close();
      await server.close();
      await demux.close();
    },
  };
}
