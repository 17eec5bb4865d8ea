/**
 * gRPC through the hub's edge against a @grpc/grpc-js server doing the same work directly, with
 * the same @grpc/grpc-js client (this process):
 *
 *   ours: grpc-js client ──h2c──▶ hub (its own process) ──WebSocket──▶ agent (its own process)
 *   peer: grpc-js client ──h2c──▶ grpc-js server (its own process)
 *
 * One hop more, and the serving side measured two ways: throughput, and calls per CPU-second of
 * the serving processes (hub + agent, or the grpc-js server), read from their
 * `process.cpuUsage()` around each round. A grpc-js client saturates a core well before either
 * server does, so on a small machine throughput mostly measures the client; CPU per call is
 * where a lighter server shows. Rounds alternate, medians reported.
 */
import * as grpc from "@grpc/grpc-js";
import { execFile, execFileSync, fork, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { once } from "node:events";
import { EchoRequest, EchoResponse } from "../generated/swarm/examples/v1/compute.js";
import { measureConcurrent, type Measurement } from "./harness.js";
import { benchName, type Benchmark, type BenchRecord } from "./types.js";

const PAYLOAD_BYTES = 64;
const CONCURRENCY = 64;
const STREAM_LENGTH = 10_000;
const ECHO = "/swarm.examples.v1.ComputeService/Echo";
const COUNT_TO = "/swarm.examples.v1.ComputeService/CountTo";

interface Child {
  process: ChildProcess;
  first: Record<string, unknown>;
}

async function start(role: string, ...args: string[]): Promise<Child> {
  const child = fork(new URL("./grpc-edge-server.js", import.meta.url), [role, ...args], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [first] = (await Promise.race([once(child, "message"), once(child, "exit").then(([code]) => Promise.reject(new Error(`${role} exited with ${String(code)}`)))])) as [Record<string, unknown>];
  return { process: child, first };
}

async function cpuMs(children: Child[]): Promise<number> {
  let total = 0;
  for (const child of children) {
    child.process.send("cpu");
    const [answer] = (await once(child.process, "message")) as [{ cpuMs: number }];
    total += answer.cpuMs;
  }
  return total;
}

async function stop(children: Child[]): Promise<void> {
  await Promise.all(children.map(async (child) => {
    child.process.send("close");
    await once(child.process, "exit");
  }));
}

/** The serving side under test: where to call, and whose CPU counts. */
interface Side {
  port: number;
  children: Child[];
}

async function ours(): Promise<Side> {
  const hub = await start("hub");
  const agent = await start("agent", String(hub.first["hubUrl"]));
  return { port: hub.first["port"] as number, children: [hub, agent] };
}

async function peer(): Promise<Side> {
  const server = await start("grpc");
  return { port: server.first["port"] as number, children: [server] };
}

/** One round on `side`: a closed loop of `op`, with the serving side's CPU time over it. */
async function round(side: Side, op: (client: grpc.Client) => Promise<unknown>, concurrency: number, quick: boolean, perOp: number): Promise<Measurement & { cpuOpsPerSec: number }> {
  const client = new grpc.Client(`127.0.0.1:${side.port}`, grpc.credentials.createInsecure());
  try {
    await measureConcurrent(() => op(client), concurrency, quick ? 300 : 1000);
    const before = await cpuMs(side.children);
    const started = performance.now();
    const measured = await measureConcurrent(() => op(client), concurrency, quick ? 1500 : 4000);
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = ((await cpuMs(side.children)) - before) / 1000;
    const opsPerSec = measured.opsPerSec * perOp;
    return { ...measured, opsPerSec, cpuOpsPerSec: (opsPerSec * seconds) / Math.max(cpuSeconds, 1e-6) };
  } finally {
    client.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Op = (client: grpc.Client) => Promise<unknown>;

const echo: Op = (client) => {
  const request = Buffer.from(EchoRequest.encode({ payload: new Uint8Array(PAYLOAD_BYTES).fill(7) }).finish());
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(ECHO, (b: Buffer) => b, (b: Buffer) => EchoResponse.decode(b), request, (error, value) => (error ? reject(error) : resolve(value))),
  );
};

const countTo: Op = (client) =>
  new Promise<void>((resolve, reject) => {
    const stream = client.makeServerStreamRequest(COUNT_TO, (b: Buffer) => b, (b: Buffer) => b, Buffer.from([8, 0x90, 0x4e]) /* n: 10000 */);
    stream.on("data", () => undefined);
    stream.on("end", resolve);
    stream.on("error", reject);
  });

/** Ours vs grpc-js, alternating rounds; `cpu`: report calls per serving CPU-second instead of per second. */
async function compare(op: Op, concurrency: number, perOp: number, quick: boolean): Promise<{ ours: Measurement & { cpuOpsPerSec: number }; peer: Measurement & { cpuOpsPerSec: number } }> {
  const sides = { ours: await ours(), peer: await peer() };
  try {
    const runs = { ours: [] as Awaited<ReturnType<typeof round>>[], peer: [] as Awaited<ReturnType<typeof round>>[] };
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      runs.ours.push(await round(sides.ours, op, concurrency, quick, perOp));
      runs.peer.push(await round(sides.peer, op, concurrency, quick, perOp));
    }
    const summary = (list: typeof runs.ours) => ({
      opsPerSec: median(list.map((r) => r.opsPerSec)),
      p50Us: median(list.map((r) => r.p50Us)),
      p99Us: median(list.map((r) => r.p99Us)),
      cpuOpsPerSec: median(list.map((r) => r.cpuOpsPerSec)),
    });
    return { ours: summary(runs.ours), peer: summary(runs.peer) };
  } finally {
    await stop([...sides.ours.children, ...sides.peer.children]);
  }
}

function record(name: string, pattern: "unary-c64" | "server-stream", payloadBytes: number, ours: Measurement, peerOps: number, oursOps = ours.opsPerSec): BenchRecord {
  return { name, transport: "http", pattern, payloadBytes, opsPerSec: oursOps, p50Us: ours.p50Us, p99Us: ours.p99Us, peer: "grpc-js", peerOpsPerSec: peerOps, ratio: oursOps / peerOps };
}

const unaryName = `${benchName("http", "unary-c64", PAYLOAD_BYTES)}/grpc`;

/**
 * The same unary call from h2load (nghttp2's load generator, C: it needs far less CPU per call
 * than a grpc-js client, so the servers rather than the client set the pace): 2 connections × 32
 * streams = 64 in flight, a prepared gRPC request body. Only where Debian's nghttp2-client is
 * installed.
 */
async function h2loadCompare(quick: boolean): Promise<{ ours: Measurement & { cpuOpsPerSec: number }; peer: Measurement & { cpuOpsPerSec: number } }> {
  const body = join(tmpdir(), `grpc-echo-${process.pid}.bin`);
  const message = Buffer.from(EchoRequest.encode({ payload: new Uint8Array(PAYLOAD_BYTES).fill(7) }).finish());
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  writeFileSync(body, frame);
  const sides = { ours: await ours(), peer: await peer() };
  const load = async (side: Side, seconds: number): Promise<number> => {
    const args = ["-D", String(seconds), "-c", "2", "-m", "32", "-t", "1", "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers", `http://127.0.0.1:${side.port}${ECHO}`];
    const { stdout } = await promisify(execFile)("h2load", args);
    const failed = Number(/(\d+) failed/.exec(stdout)?.[1] ?? "1");
    if (failed > 0) throw new Error(`h2load: ${failed} requests failed:\n${stdout}`);
    return Number(/([\d.]+) req\/s/.exec(stdout)?.[1]);
  };
  const round = async (side: Side): Promise<Measurement & { cpuOpsPerSec: number }> => {
    await load(side, 1);
    const seconds = quick ? 2 : 5;
    const before = await cpuMs(side.children);
    const opsPerSec = await load(side, seconds);
    const cpuSeconds = ((await cpuMs(side.children)) - before) / 1000;
    // h2load reports no latency percentiles in this mode: the record carries the mean latency of a 64-deep loop
    const meanUs = (64 / opsPerSec) * 1e6;
    return { opsPerSec, p50Us: meanUs, p99Us: meanUs, cpuOpsPerSec: (opsPerSec * seconds) / Math.max(cpuSeconds, 1e-6) };
  };
  try {
    const runs = { ours: [] as Awaited<ReturnType<typeof round>>[], peer: [] as Awaited<ReturnType<typeof round>>[] };
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      runs.ours.push(await round(sides.ours));
      runs.peer.push(await round(sides.peer));
    }
    const summary = (list: typeof runs.ours) => ({
      opsPerSec: median(list.map((r) => r.opsPerSec)),
      p50Us: median(list.map((r) => r.p50Us)),
      p99Us: median(list.map((r) => r.p99Us)),
      cpuOpsPerSec: median(list.map((r) => r.cpuOpsPerSec)),
    });
    return { ours: summary(runs.ours), peer: summary(runs.peer) };
  } finally {
    await stop([...sides.ours.children, ...sides.peer.children]);
  }
}

function hasH2load(): boolean {
  try {
    execFileSync("h2load", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: unaryName,
    run: async ({ quick }) => {
      const { ours: m, peer: p } = await compare(echo, CONCURRENCY, 1, quick);
      return record(unaryName, "unary-c64", PAYLOAD_BYTES, m, p.opsPerSec);
    },
  },
  {
    name: `${unaryName}-cpu`,
    run: async ({ quick }) => {
      const { ours: m, peer: p } = await compare(echo, CONCURRENCY, 1, quick);
      return record(`${unaryName}-cpu`, "unary-c64", PAYLOAD_BYTES, m, p.cpuOpsPerSec, m.cpuOpsPerSec);
    },
  },
  ...(hasH2load()
    ? [
        {
          name: `${unaryName}-h2load`,
          run: async ({ quick }: { quick: boolean }) => {
            const { ours: m, peer: p } = await h2loadCompare(quick);
            return record(`${unaryName}-h2load`, "unary-c64", PAYLOAD_BYTES, m, p.opsPerSec);
          },
        },
        {
          name: `${unaryName}-h2load-cpu`,
          run: async ({ quick }: { quick: boolean }) => {
            const { ours: m, peer: p } = await h2loadCompare(quick);
            return record(`${unaryName}-h2load-cpu`, "unary-c64", PAYLOAD_BYTES, m, p.cpuOpsPerSec, m.cpuOpsPerSec);
          },
        },
      ]
    : []),
  {
    name: `${benchName("http", "server-stream", 4)}/grpc`,
    run: async ({ quick }) => {
      const { ours: m, peer: p } = await compare(countTo, 1, STREAM_LENGTH, quick);
      // per message: a stream of 10,000 is one op of the loop
      return record(`${benchName("http", "server-stream", 4)}/grpc`, "server-stream", 4, { ...m, p50Us: m.p50Us / STREAM_LENGTH, p99Us: m.p99Us / STREAM_LENGTH }, p.opsPerSec);
    },
  },
];
