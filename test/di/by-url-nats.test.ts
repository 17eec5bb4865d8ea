import "reflect-metadata";
import { container as root } from "tsyringe";
import { expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { registerSwarmTransport, TransportFactory } from "../../src/di/index.js";
import { createClient, createDemux, createServer } from "../../src/index.js";
import { createNodeTransportRegistry } from "../../src/node.js";
import { describeNats, freshPrefix, useNatsCluster } from "../helpers/nats.js";

describeNats("a transport chosen by a nats:// URL through the container", () => {
  const cluster = useNatsCluster();

  it("nats://host:port,host:port (settings such as subjectPrefix ride in the config)", async () => {
    const factory = registerSwarmTransport({ createRegistry: createNodeTransportRegistry }, root.createChildContainer()).resolve(TransportFactory);
    const [first, ...rest] = cluster().nodes.map((node) => node.url);
    const url = [first, ...rest.map((u) => u!.replace("nats://", ""))].join(",");
    const config = { subjectPrefix: freshPrefix() };
    const server = await factory.connect(url, "server", { config });
    const client = await factory.connect(url, "client", { config });
    try {
      expect(server.constructor.name).toBe("NatsTransport");
      createServer(createDemux(server)).add(ComputeServiceDefinition, computeService);
      const compute = createClient(ComputeServiceDefinition, createDemux(client), { peer: "server", timeoutMs: 5000 });
      expect(await compute.fibonacci({ n: 20 })).toEqual({ value: 6765 });
    } finally {
      await Promise.all([server.close(), client.close()]);
    }
  });
});
