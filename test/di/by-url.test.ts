import "reflect-metadata";
import { container as root } from "tsyringe";
import { afterEach, describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { registerSwarmTransport, TransportFactory } from "../../src/di/index.js";
import { createClient, createDemux, createServer, SharedMemorySegment, type Transport } from "../../src/index.js";
import { createNodeTransportRegistry, WebSocketTransport, type WebSocketHub } from "../../src/node.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The same typed service and client, over a transport chosen only by the URL. */
async function callOver(factory: TransportFactory, url: string): Promise<number[]> {
  const server: Transport = await factory.connect(url, "server");
  const client: Transport = await factory.connect(url, "client");
  closers.push(() => server.close(), () => client.close());
  createServer(createDemux(server)).add(ComputeServiceDefinition, computeService);
  const compute = createClient(ComputeServiceDefinition, createDemux(client), { peer: "server", timeoutMs: 5000 });
  const ticks: number[] = [];
  for await (const tick of compute.countTo({ n: 3, delayMs: 0 })) ticks.push(tick.value);
  return [(await compute.fibonacci({ n: 20 })).value, ...ticks];
}

describe("one typed service over every transport kind, chosen by URL", () => {
  it("inproc://, shm:// and ws:// (Node registry through the container)", async () => {
    const hub: WebSocketHub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" });
    closers.push(() => hub.close());
    const segment = SharedMemorySegment.create({ name: "by-url", size: 1 << 20, ringBufferSize: 64 << 10 });
    const container = registerSwarmTransport(
      { createRegistry: (options) => createNodeTransportRegistry({ ...options, segments: [segment] }) },
      root.createChildContainer(),
    );
    const factory = container.resolve(TransportFactory);
    for (const url of ["inproc://by-url", "shm://by-url", hub.url]) {
      expect(await callOver(factory, url), url).toEqual([6765, 1, 2, 3]);
    }
  });
});
