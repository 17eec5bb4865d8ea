// The worker side of bench/shared-memory.bench.ts (runs compiled, from .bench-build/): the same work over the shared-memory
// transport, a MessagePort (postMessage) and comlink.
import { workerData, type MessagePort } from "node:worker_threads";
import * as Comlink from "comlink";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";
import { createDemux, createServer, Message, SharedMemorySegment, SharedMemoryTransport } from "../src/index.js";
import type { SharedMemoryWorkerData } from "../src/node.js";

export interface BenchWorkerData {
  port: MessagePort;
  comlinkPort: MessagePort;
  config: { maxMessageSize: number };
}

const { segment: handle, data } = workerData as SharedMemoryWorkerData<BenchWorkerData>;
const segment = SharedMemorySegment.open(handle);
const transport = await SharedMemoryTransport.attach(segment, "worker", data.config);
// Typed RPC: the example ComputeService on an endpoint of its own.
const rpcTransport = await SharedMemoryTransport.attach(segment, "worker-rpc", data.config);
const rpcServer = createServer(createDemux(rpcTransport)).add(ComputeServiceDefinition, computeService);

// postMessage peer: one-way bursts end with { ack: true }; round trips are { echo }.
data.port.on("message", (value: { ack?: boolean; echo?: unknown }) => {
  if (value.ack === true) data.port.postMessage("ack");
  else if (value.echo !== undefined) data.port.postMessage({ echo: value.echo });
});

// comlink peer: a sequential call.
Comlink.expose({ echo: (value: unknown) => value }, data.comlinkPort as unknown as Comlink.Endpoint);

data.port.postMessage("ready");

// Shared memory: an event named "ack" ends a one-way burst; a request is echoed as a response.
const ack = Message.event("worker", "ack");
for await (const first of transport) {
  for (let received: typeof first | undefined = first; received !== undefined; received = transport.tryReceive()) {
    const { message } = received;
    if (message.kind === "request") {
      await transport.send(received.from, Message.response("worker", message.id, message.bytes()));
    } else if (message.kind === "event" && message.payload("event")!.name === "ack") {
      await transport.send(received.from, ack);
    }
  }
}
await rpcServer.close();
await rpcTransport.close();
data.port.close();
data.comlinkPort.close();
