/**
 * The grpc-js peer in its own worker thread (its own V8 isolate and heap), so its HTTP/2
 * state and garbage neither slow our measurement nor are slowed by it. The main thread asks
 * for one measurement round at a time and alternates with its own rounds.
 */
import type * as grpc from "@grpc/grpc-js";
import { parentPort } from "node:worker_threads";
import { ComputeServiceDefinition } from "../src/cli/example-service.js";
import type { CountToRequest, CountToResponse, EchoRequest, EchoResponse } from "../generated/swarm/examples/v1/compute.js";
import { startGrpcPeer } from "./grpc-peer.js";
import { measureConcurrentOnce, measureOnce, type Measurement } from "./harness.js";

/** One measurement round the main thread asks for. */
export type GrpcTask =
  | { kind: "unary"; payloadBytes: number; concurrency: number; quick: boolean }
  | { kind: "server-stream"; length: number; quick: boolean };

const peer = await startGrpcPeer(ComputeServiceDefinition, {
  echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) => callback(null, { payload: call.request.payload }),
  countTo: async (call: grpc.ServerWritableStream<CountToRequest, CountToResponse>) => {
    for (let i = 1; i <= call.request.n; i++) {
      if (!call.write({ value: i })) await new Promise((resolve) => call.once("drain", resolve));
    }
    call.end();
  },
});

async function run(task: GrpcTask): Promise<Measurement> {
  if (task.kind === "unary") {
    const request: EchoRequest = { payload: new Uint8Array(task.payloadBytes).fill(7) };
    const op = () =>
      new Promise<unknown>((resolve, reject) => peer.client["echo"]!(request, (error: unknown, response: unknown) => (error ? reject(error) : resolve(response))));
    return task.concurrency === 1 ? measureOnce(op, task, 50) : measureConcurrentOnce(op, task.concurrency, task);
  }
  const op = () =>
    new Promise<void>((resolve, reject) => {
      const stream = peer.client["countTo"]!({ n: task.length, delayMs: 0 }) as grpc.ClientReadableStream<CountToResponse>;
      stream.on("data", () => undefined);
      stream.on("end", resolve);
      stream.on("error", reject);
    });
  return measureOnce(op, task, 1);
}

parentPort!.on("message", (task: GrpcTask | "close") => {
  if (task === "close") {
    void peer.close().then(() => process.exit(0));
    return;
  }
  run(task).then(
    (measurement) => parentPort!.postMessage({ measurement }),
    (error: unknown) => parentPort!.postMessage({ error: String(error) }),
  );
});
parentPort!.postMessage("ready");
