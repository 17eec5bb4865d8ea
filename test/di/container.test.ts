import "reflect-metadata";
import { container as root } from "tsyringe";
import { describe, expect, it } from "vitest";
import { IN_PROCESS_NETWORK, registerSwarmTransport, TRANSPORT_CONFIG, TRANSPORT_REGISTRY, TransportFactory } from "../../src/di/index.js";
import { createTransportRegistry, InProcessNetwork, InProcessTransport, Message, TransportError, TransportRegistry } from "../../src/index.js";

describe("dependency injection", () => {
  it("resolves config, network and registry, and opens in-process transports by URL", async () => {
    const container = registerSwarmTransport({ config: { retryAttempts: 7 } }, root.createChildContainer());
    expect(container.resolve(TRANSPORT_CONFIG).retryAttempts).toBe(7);
    const registry = container.resolve(TRANSPORT_REGISTRY);
    expect(registry).toBe(container.resolve(TRANSPORT_REGISTRY)); // singleton
    expect(registry.schemes()).toEqual(["inproc", "shm", "ws", "wss"]);

    const a = await registry.connect("inproc://default", { id: "a" });
    const b = await registry.connect("inproc://default", { id: "b", config: { queueCapacity: 5 } });
    expect(container.resolve(IN_PROCESS_NETWORK).list()).toEqual(["a", "b"]);
    expect((a as InProcessTransport).config.retryAttempts).toBe(7);
    expect((b as InProcessTransport).config.queueCapacity).toBe(5);
    await a.send("b", Message.event("a", "hi"));
    expect((await b.receive()).message.payload("event")?.name).toBe("hi");
    await container.resolve(IN_PROCESS_NETWORK).close();
  });

  it("TransportFactory opens transports by URL; other in-process networks are made by name", async () => {
    const container = registerSwarmTransport({}, root.createChildContainer());
    const factory = container.resolve(TransportFactory);
    expect(factory).toBe(container.resolve(TransportFactory));
    const x = await factory.connect("inproc://lab", "x");
    const y = await factory.connect("inproc://lab", "y");
    expect(x.localAddress).toBe("x");
    expect(container.resolve(IN_PROCESS_NETWORK).list()).toEqual([]); // "lab" is not the default network
    await x.send("y", Message.event("x", "ping"));
    expect((await y.receive()).from).toBe("x");
    await Promise.all([x.close(), y.close()]);
  });

  it("an unknown scheme is NotAvailable and lists what is registered; a bad URL or id is InvalidAddress", async () => {
    const factory = registerSwarmTransport({}, root.createChildContainer()).resolve(TransportFactory);
    await expect(factory.connect("carrier-pigeon://coop", "x")).rejects.toMatchObject({
      code: "NotAvailable",
      message: expect.stringContaining("no transport for carrier-pigeon:// URLs is registered (registered: inproc://, shm://, ws://, wss://)"),
    });
    await expect(factory.connect("not a url", "x")).rejects.toMatchObject({ code: "InvalidAddress" });
    await expect(factory.connect("inproc://default", "")).rejects.toMatchObject({ code: "InvalidAddress" });
    const error = await factory.connect("shm://nowhere", "x").catch((e: unknown) => e);
    expect(TransportError.is(error, "NotAvailable")).toBe(true);
    expect((error as Error).message).toContain('no shared-memory segment named "nowhere"');
  });

  it("separate containers have separate networks", () => {
    const one = registerSwarmTransport({}, root.createChildContainer());
    const two = registerSwarmTransport({}, root.createChildContainer());
    expect(one.resolve(IN_PROCESS_NETWORK)).not.toBe(two.resolve(IN_PROCESS_NETWORK));
  });

  it("everything also works by hand, without a container", async () => {
    const registry = createTransportRegistry({ config: { maxMessageSize: 1024 } });
    const t = (await registry.connect("inproc://solo", { id: "solo" })) as InProcessTransport;
    expect(t.config.maxMessageSize).toBe(1024);
    // a kind of one's own plugs in the same way
    const network = new InProcessNetwork();
    const custom = new TransportRegistry({ queueCapacity: 3 }).register("loop", (_url, { id, config }) => network.connect(id, config));
    const looped = (await custom.connect("loop://anything", { id: "me" })) as InProcessTransport;
    expect(looped.config.queueCapacity).toBe(3);
    await Promise.all([t.close(), network.close()]);
  });
});
