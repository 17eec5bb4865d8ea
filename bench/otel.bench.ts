// What tracing costs: in-process typed Echo calls, 64 in flight, traced with OpenTelemetry,
// against the same calls with no tracer installed; each side in a worker thread of its own
// (bench/otel.worker.ts), measured in alternating rounds, so the ratio is what tracing leaves
// of the rate. "-sdk": an SDK recording a client and a server span per call into a
// BatchSpanProcessor whose exporter drops them (the cost of making spans, not of shipping them);
// "-no-sdk": enableOpenTelemetry() with no SDK registered.
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { alternate, type Measurement } from "./harness.js";
import type { TracingMode } from "./otel.worker.js";
import { benchName, type Benchmark, type BenchRecord } from "./types.js";

const PAYLOAD_BYTES = 64;

async function side(mode: TracingMode) {
  const worker = new Worker(new URL("./otel.worker.js", import.meta.url), { workerData: { mode } });
  const [ready] = (await once(worker, "message")) as [unknown];
  if (ready !== "ready") throw new Error(`tracing bench worker (${mode}) failed to start: ${String(ready)}`);
  return {
    async measure(quick: boolean): Promise<Measurement> {
      worker.postMessage({ quick });
      const [reply] = (await once(worker, "message")) as [{ measurement?: Measurement; error?: string }];
      if (reply.error !== undefined) throw new Error(`tracing bench worker (${mode}): ${reply.error}`);
      return reply.measurement!;
    },
    async close(): Promise<void> {
      worker.postMessage("close");
      await once(worker, "exit");
    },
  };
}

async function traced(name: string, mode: TracingMode, quick: boolean): Promise<BenchRecord> {
  const [ours, peer] = [await side(mode), await side("none")];
  try {
    const [m, p] = await alternate(quick ? 1 : 3, () => ours.measure(quick), () => peer.measure(quick));
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
    await Promise.all([ours.close(), peer.close()]);
  }
}

const SDK = `${benchName("in-process", "unary-c64", PAYLOAD_BYTES)}/rpc-otel-sdk`;
const NO_SDK = `${benchName("in-process", "unary-c64", PAYLOAD_BYTES)}/rpc-otel-no-sdk`;

export const benchmarks: Benchmark[] = [
  { name: SDK, run: (c) => traced(SDK, "sdk", c.quick) },
  { name: NO_SDK, run: (c) => traced(NO_SDK, "no-sdk", c.quick) },
];
