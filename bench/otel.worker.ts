// One side of bench/otel.bench.ts in a thread of its own (its own JIT and heap, so neither side
// inherits the other's optimised code or garbage): in-process typed Echo calls, 64 in flight,
// with the tracer `workerData.mode` names. Measures on each message `{ quick }`; "close" ends it.
import { parentPort, workerData } from "node:worker_threads";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";
import type { EchoRequest } from "../generated/swarm/examples/v1/compute.js";
import { createClient, createDemux, createServer, InProcessTransport } from "../src/index.js";
import { OpenTelemetryTracing } from "../src/otel.js";
import { setTracing } from "../src/trace/tracing.js";
import { measureConcurrentOnce } from "./harness.js";

/** "none": no tracer; "no-sdk": enableOpenTelemetry() without an SDK; "sdk": an SDK recording every span. */
export type TracingMode = "none" | "no-sdk" | "sdk";

/** An exporter that takes every batch and keeps nothing. */
const DISCARD: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

const mode = (workerData as { mode: TracingMode }).mode;
const provider = mode === "sdk" ? new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(DISCARD, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })] }) : undefined;
if (mode !== "none") setTracing(new OpenTelemetryTracing(provider === undefined ? {} : { tracerProvider: provider }));
const [near, far] = await InProcessTransport.createPair("bench_client", "bench_server");
createServer(createDemux(far)).add(ComputeServiceDefinition, computeService);
const compute = createClient(ComputeServiceDefinition, createDemux(near), { peer: "bench_server" });
const request: EchoRequest = { payload: new Uint8Array(64).fill(7) };
const op = () => compute.echo(request);

parentPort!.on("message", (message: { quick: boolean } | "close") => {
  if (message === "close") {
    void Promise.all([near.close(), far.close(), provider?.shutdown()]).then(() => parentPort!.close());
    return;
  }
  measureConcurrentOnce(op, 64, { quick: message.quick }).then(
    (measurement) => parentPort!.postMessage({ measurement }),
    (error: unknown) => parentPort!.postMessage({ error: String(error) }),
  );
});
parentPort!.postMessage("ready");
