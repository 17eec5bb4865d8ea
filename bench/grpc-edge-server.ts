/**
 * The serving side of bench/grpc-edge.bench.ts, one role per child process so each one's CPU
 * time is its own (`process.cpuUsage()`):
 *   hub   — a hub with its HTTP edge (gRPC over h2c on its port); posts { port, hubUrl }
 *   agent — an agent serving the example service through the hub at argv[3]
 *   grpc  — a @grpc/grpc-js server of the same service, built from the same definition; posts { port }
 *   bare  — a node:http JSON echo (the Connect row's ceiling); posts { port }
 * Answers "cpu" with { cpuMs } (user + system so far) and exits on "close".
 */
import * as grpc from "@grpc/grpc-js";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";
import { createDemux, createServer } from "../src/index.js";
import { createHubHttp, WebSocketTransport } from "../src/node.js";
import type { CountToRequest, CountToResponse, EchoRequest, EchoResponse } from "../generated/swarm/examples/v1/compute.js";
import { grpcServiceOf } from "./grpc-peer.js";

const role = process.argv[2];
/** EDGE_BENCH_NO_COMPRESSION=1: links without gzip (to see what it costs; the records use the defaults). */
const tuning = () => (process.env["EDGE_BENCH_NO_COMPRESSION"] === "1" ? { enableCompression: false } : {});
const send = (message: unknown): void => void process.send!(message);
let close: () => Promise<void>;

if (role === "hub") {
  const proto = fileURLToPath(new URL("../../proto/swarm/examples/v1/compute.proto", import.meta.url));
  const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "bench_hub", http: createHubHttp({ gateway: { protoFiles: [proto] } }) }, { heartbeatIntervalMs: 0, ...tuning() });
  close = () => hub.close();
  send({ port: hub.port, hubUrl: hub.url });
} else if (role === "agent") {
  const agent = await WebSocketTransport.client({ url: process.argv[3]!, agentId: "agent_2" }, { heartbeatIntervalMs: 0, ...tuning() });
  createServer(createDemux(agent)).add(ComputeServiceDefinition, computeService);
  close = () => agent.close();
  send({ ready: true });
} else if (role === "bare") {
  // the ceiling of the Connect row: parse the JSON body and send it back, nothing else
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      response.writeHead(200, { "content-type": "application/json" });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  send({ port: (server.address() as AddressInfo).port });
} else {
  const server = new grpc.Server();
  server.addService(grpcServiceOf(ComputeServiceDefinition), {
    echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) => callback(null, { payload: call.request.payload }),
    countTo: async (call: grpc.ServerWritableStream<CountToRequest, CountToResponse>) => {
      for (let i = 1; i <= call.request.n; i++) {
        if (!call.write({ value: i })) await new Promise((resolve) => call.once("drain", resolve));
      }
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  close = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  send({ port });
}

process.on("message", (message: string) => {
  if (message === "cpu") {
    const { user, system } = process.cpuUsage();
    send({ cpuMs: (user + system) / 1000 });
  } else if (message === "close") {
    void close().then(() => process.exit(0));
  }
});
