/**
 * The servers of bench/gateway.bench.ts, in one worker thread (each idle while another is
 * measured): our hub with the HTTP gateway (JSON converted with the .proto via protobufjs),
 * a @connectrpc/connect-node server of the same service, and a bare node:http JSON echo.
 * Posts their URLs once all listen; closes everything on "close".
 */
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parentPort } from "node:worker_threads";
import { createHubHttp, WebSocketTransport } from "../src/node.js";
import { ComputeService } from "../test/gateway/generated/swarm/examples/v1/compute_pb.js";

const proto = fileURLToPath(new URL("../../proto/swarm/examples/v1/compute.proto", import.meta.url));
const hub = await WebSocketTransport.server(
  { bindAddr: "127.0.0.1:0", hubId: "bench_hub", http: createHubHttp({ gateway: { protoFiles: [proto] } }) },
  { heartbeatIntervalMs: 0 },
);

const connect = createServer(
  connectNodeAdapter({
    routes: (router) => router.service(ComputeService, { echo: (request) => ({ payload: request.payload }) }),
  }),
);

// the ceiling: parse the JSON body and send it back, nothing else
const bare = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    response.writeHead(200, { "content-type": "application/json" });
    response.end(body);
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

parentPort!.postMessage({ hubUrl: hub.url, gatewayUrl: `http://127.0.0.1:${hub.port}`, connectUrl: await listen(connect), bareUrl: await listen(bare) });
parentPort!.once("message", async () => {
  for (const server of [connect, bare]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await hub.close();
  parentPort!.postMessage("closed");
});
