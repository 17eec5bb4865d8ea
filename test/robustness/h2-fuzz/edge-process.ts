// The fuzzed edge in a process of its own (a hub with the HTTP edge, and an agent serving the
// example service), so its memory is measured without the fuzzer's or the test runner's in the
// figure. Started by ./edge.ts; talks to it over IPC. argv[2]: the createHubHttp options (JSON).
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { computeService, ComputeServiceDefinition } from "../../../src/cli/example-service.js";
import { createDemux, createServer } from "../../../src/index.js";
import { createHubHttp, WebSocketTransport, type HubHttpOptions } from "../../../src/node.js";
import type { EdgeReport, EdgeRequest } from "./edge.js";

const proto = fileURLToPath(new URL("../../../proto/swarm/examples/v1/compute.proto", import.meta.url));
const extra = JSON.parse(process.argv[2] ?? "{}") as HubHttpOptions;
const http = createHubHttp({ gateway: { protoFiles: [proto] }, health: true, ...extra });
const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http }, { heartbeatIntervalMs: 0 });
const agent = await WebSocketTransport.client({ url: hub.url, agentId: "worker" }, { heartbeatIntervalMs: 0 });
createServer(createDemux(agent)).add(ComputeServiceDefinition, computeService);
while (hub.services.agents("swarm.examples.v1.ComputeService").length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

// how long the edge's own event loop was ever kept from running
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function report(): EdgeReport {
  const memory = process.memoryUsage();
  return {
    rss: memory.rss,
    peakRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: memory.heapUsed,
    external: memory.external + memory.arrayBuffers,
    loopDelayMaxMs: loopDelay.max / 1e6,
    inFlight: http.gateway?.inFlight ?? 0,
    bufferedBytes: http.bufferedBytes,
    cpuUs: process.cpuUsage().user + process.cpuUsage().system,
  };
}

process.on("message", (request: EdgeRequest) => {
  switch (request.type) {
    case "report": {
      if (request.gc === true) (globalThis as { gc?: () => void }).gc?.();
      const answer = report();
      if (request.resetLoopDelay === true) loopDelay.reset();
      return process.send!({ type: "report", id: request.id, report: answer });
    }
    case "close":
      void agent
        .close()
        .then(() => hub.close())
        .then(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));
process.send!({ type: "ready", port: hub.port });
