// What tracing costs: in-process typed unary calls, 64 in flight, with OpenTelemetry against the
// same calls with no tracer installed, alternating in one process. "sdk": an SDK recording
// every span into a BatchSpanProcessor whose exporter drops them (the cost of making spans, not
// of shipping them). "no-sdk": enableOpenTelemetry() without an SDK (OpenTelemetry's no-op
// tracer). The peer is the untraced call: ratio = traced ÷ untraced.
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";
import type { EchoRequest } from "../generated/swarm/examples/v1/compute.js";
import { createClient, createDemux, createServer, InProcessTransport } from "../src/index.js";
import { OpenTelemetryTracing } from "../src/otel.js";
import { setTracing, type Tracing } from "../src/trace/tracing.js";
import { alternate, measureConcurrentOnce } from "./harness.js";
import { benchName, type Benchmark, type BenchRecord } from "./types.js";

const PAYLOAD_BYTES = 64;
const CONCURRENCY = 64;

/** An exporter that takes every batch and keeps nothing. */
const DISCARD: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

async function traced(name: string, quick: boolean, make: () => { tracing: Tracing; shutdown(): Promise<void> }): Promise<BenchRecord> {
  const [near, far] = await InProcessTransport.createPair("bench_client", "bench_server");
  createServer(createDemux(far)).add(ComputeServiceDefinition, computeService);
  const compute = createClient(ComputeServiceDefinition, createDemux(near), { peer: "bench_server" });
  const request: EchoRequest = { payload: new Uint8Array(PAYLOAD_BYTES).fill(7) };
  const op = () => compute.echo(request);
  const { tracing, shutdown } = make();
  try {
    const measure = (installed: Tracing | undefined) => () => {
      setTracing(installed);
      return measureConcurrentOnce(op, CONCURRENCY, { quick });
    };
    const [m, p] = await alternate(quick ? 1 : 3, measure(tracing), measure(undefined));
    return {
      name,
      transport: "in-process",
      pattern: "unary-c64",
      payloadBytes: PAYLOAD_BYTES,
      opsPerSec: m.opsPerSec,
      p50Us: m.p50Us,
      p99Us: m.p99Us,
      peer: "no tracer",
      peerOpsPerSec: p.opsPerSec,
      ratio: m.opsPerSec / p.opsPerSec,
    };
  } finally {
    setTracing(undefined);
    await shutdown();
    await Promise.all([near.close(), far.close()]);
  }
}

const SDK = `${benchName("in-process", "unary-c64", PAYLOAD_BYTES)}/rpc-otel-sdk`;
const NO_SDK = `${benchName("in-process", "unary-c64", PAYLOAD_BYTES)}/rpc-otel-no-sdk`;

export const benchmarks: Benchmark[] = [
  {
    name: SDK,
    run: (c) =>
      traced(SDK, c.quick, () => {
        const processor = new BatchSpanProcessor(DISCARD, { maxQueueSize: 65_536, maxExportBatchSize: 4096 });
        const provider = new BasicTracerProvider({ spanProcessors: [processor] });
        return { tracing: new OpenTelemetryTracing({ tracerProvider: provider }), shutdown: () => provider.shutdown() };
      }),
  },
  { name: NO_SDK, run: (c) => traced(NO_SDK, c.quick, () => ({ tracing: new OpenTelemetryTracing(), shutdown: () => Promise.resolve() })) },
];
