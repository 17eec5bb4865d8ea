/**
 * HTTP gateway under autocannon (64 connections, a small JSON body): Echo with a 64-byte
 * payload through the hub's gateway to an agent, against the same call on a
 * @connectrpc/connect-node server and, as the ceiling, a bare node:http JSON echo, measured
 * in alternating rounds in the same run. autocannon runs in this thread; the three servers
 * share one worker thread, and the gateway's agent has a worker thread of its own.
 */
import autocannon from "autocannon";
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { alternate, ROUNDS, type Measurement } from "./harness.js";
import { benchName, type Benchmark, type BenchRecord } from "./types.js";

const PAYLOAD_BYTES = 64;
const CONNECTIONS = 64;
const ECHO = "/swarm.examples.v1.ComputeService/Echo";

interface Urls {
  hubUrl: string;
  gatewayUrl: string;
  connectUrl: string;
  bareUrl: string;
}

async function startWorker(file: string, workerData?: unknown): Promise<{ worker: Worker; first: unknown }> {
  const worker = new Worker(new URL(file, import.meta.url), { workerData });
  const [first] = (await Promise.race([once(worker, "message"), once(worker, "error").then(([e]) => Promise.reject(e as Error))])) as [unknown];
  return { worker, first };
}

async function stopWorker(worker: Worker): Promise<void> {
  worker.postMessage("close");
  await once(worker, "message");
  await worker.terminate();
}

/** One autocannon round (after a warm-up); every answer must be a 200. */
async function load(url: string, body: string, quick: boolean): Promise<Measurement> {
  const options = {
    url,
    method: "POST" as const,
    connections: CONNECTIONS,
    headers: { "content-type": "application/json", "swarm-to": "agent_2" },
    body,
  };
  await autocannon({ ...options, duration: 1 });
  const result = await autocannon({ ...options, duration: quick ? 3 : 8 });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { opsPerSec: result.requests.average, p50Us: result.latency.p50 * 1000, p99Us: result.latency.p99 * 1000 };
}

async function gatewayVersus(peer: "connect-node" | "node:http", quick: boolean): Promise<BenchRecord> {
  const far = await startWorker("./gateway-far.worker.js");
  const urls = far.first as Urls;
  const agent = await startWorker("./gateway-agent.worker.js", { hubUrl: urls.hubUrl });
  const body = JSON.stringify({ payload: Buffer.alloc(PAYLOAD_BYTES, 0x5a).toString("base64") });
  try {
    const peerUrl = peer === "connect-node" ? urls.connectUrl + ECHO : urls.bareUrl;
    const [m, p] = await alternate(
      ROUNDS,
      () => load(urls.gatewayUrl + ECHO, body, quick),
      () => load(peerUrl, body, quick),
    );
    const name = benchName("http", "unary-c64", PAYLOAD_BYTES) + (peer === "node:http" ? "/node-http" : "");
    return {
      name,
      transport: "http",
      pattern: "unary-c64",
      payloadBytes: PAYLOAD_BYTES,
      opsPerSec: m.opsPerSec,
      p50Us: m.p50Us,
      p99Us: m.p99Us,
      peer,
      peerOpsPerSec: p.opsPerSec,
      ratio: m.opsPerSec / p.opsPerSec,
    };
  } finally {
    await stopWorker(agent.worker);
    await stopWorker(far.worker);
  }
}

export const benchmarks: Benchmark[] = [
  { name: benchName("http", "unary-c64", PAYLOAD_BYTES), run: (context) => gatewayVersus("connect-node", context.quick) },
  { name: `${benchName("http", "unary-c64", PAYLOAD_BYTES)}/node-http`, run: (context) => gatewayVersus("node:http", context.quick) },
];
