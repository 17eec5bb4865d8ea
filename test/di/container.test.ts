import "reflect-metadata";
import { container as root } from "tsyringe";
import { describe, expect, it } from "vitest";
import { IN_PROCESS_NETWORK, registerSwarmTransport, TRANSPORT_CONFIG, TRANSPORT_REGISTRY, TransportFactory } from "../../src/di/index.js";
import { InProcessNetwork, InProcessTransport, Message, TransportRegistry } from "../../src/index.js";

describe("dependency injection", () => {
  it("resolves config, network and registry, and builds in-process transports by name", async () => {
    const container = registerSwarmTransport({ config: { retryAttempts: 7 } }, root.createChildContainer());
    expect(container.resolve(TRANSPORT_CONFIG).retryAttempts).toBe(7);
    const registry = container.resolve(TRANSPORT_REGISTRY);
    expect(registry).toBe(container.resolve(TRANSPORT_REGISTRY)); // singleton
    expect(registry.names()).toEqual(["in-process"]);

    const a = await registry.create("in-process", { address: "a" });
    const b = await registry.create("in-process", { address: "b", config: { queueCapacity: 5 } });
    expect(container.resolve(IN_PROCESS_NETWORK).list()).toEqual(["a", "b"]);
    expect((a as InProcessTransport).config.retryAttempts).toBe(7);
    expect((b as InProcessTransport).config.queueCapacity).toBe(5);
    await a.send("b", Message.event("a", "hi"));
    expect((await b.receive()).message.payload("event")?.name).toBe("hi");
    await container.resolve(IN_PROCESS_NETWORK).close();
  });

  it("injects the registry into decorated classes", async () => {
    const container = registerSwarmTransport({}, root.createChildContainer());
    const factory = container.resolve(TransportFactory);
    const t = await factory.create("in-process", "x");
    expect(t.localAddress).toBe("x");
    await t.close();
  });

  it("an unknown transport name is NotAvailable and lists what is registered", async () => {
    const container = registerSwarmTransport({}, root.createChildContainer());
    await expect(container.resolve(TransportFactory).create("carrier-pigeon", "x")).rejects.toMatchObject({
      code: "NotAvailable",
      message: expect.stringContaining('no transport named "carrier-pigeon" is registered (registered: in-process)'),
    });
  });

  it("separate containers have separate networks", () => {
    const one = registerSwarmTransport({}, root.createChildContainer());
    const two = registerSwarmTransport({}, root.createChildContainer());
    expect(one.resolve(IN_PROCESS_NETWORK)).not.toBe(two.resolve(IN_PROCESS_NETWORK));
  });

  it("everything also works by hand, without a container", async () => {
    const network = new InProcessNetwork();
    const registry = new TransportRegistry({ maxMessageSize: 1024 }).register("in-process", (o) => network.connect(o.address, o.config));
    const t = (await registry.create("in-process", { address: "solo" })) as InProcessTransport;
    expect(t.config.maxMessageSize).toBe(1024);
    await network.close();
  });
});
