import { describe, expect, it } from "vitest";
import { InProcessNetwork, InProcessTransport, Message, TransportError } from "../../src/index.js";
import { waitFor } from "../helpers/wait-for.js";
import { describeTransportConformance, receiveWithin } from "../transport/conformance.js";

describeTransportConformance("in-process", async (addresses, config) => {
  const network = new InProcessNetwork();
  return { transports: addresses.map((address) => network.connect(address, config)), cleanup: () => network.close() };
});

describe("InProcessTransport", () => {
  it("createPair works as in the seed's README", async () => {
    const [agent1, agent2] = await InProcessTransport.createPair("agent_1", "agent_2");
    await agent1.send("agent_2", Message.request("agent_1", "compute_fibonacci", { n: 42 }));
    const { from, message } = await agent2.receive();
    expect(from).toBe("agent_1");
    expect(message.json()).toEqual({ n: 42 });
    await Promise.all([agent1.close(), agent2.close()]);
  });

  it("passes the message object by reference (no copy, no encoding)", async () => {
    const [a, b] = await InProcessTransport.createPair("a", "b");
    const sent = Message.event("a", "x", { big: "payload" });
    await a.send("b", sent);
    expect((await receiveWithin(b)).message).toBe(sent);
    await Promise.all([a.close(), b.close()]);
  });

  it("the network lists endpoints and forgets them on close", async () => {
    const network = new InProcessNetwork();
    const a = network.connect("a");
    const b = network.connect("b");
    expect(network.list()).toEqual(["a", "b"]);
    await a.close();
    expect(network.list()).toEqual(["b"]);
    expect(network.lookup("a")).toBeUndefined();
    // the address is free again
    const again = network.connect("a");
    expect(network.list()).toEqual(["b", "a"]);
    await network.close();
    expect(network.list()).toEqual([]);
    expect(again.isConnected()).toBe(false);
    expect(b.isConnected()).toBe(false);
  });

  it("refuses a taken or empty address", () => {
    const network = new InProcessNetwork();
    network.connect("a");
    expect(() => network.connect("a")).toThrow(expect.objectContaining({ code: "AddressInUse", address: "a" }));
    expect(() => network.connect("")).toThrow(expect.objectContaining({ code: "InvalidAddress" }));
    return network.close();
  });

  it("createPair on a shared network fails cleanly when a name is taken", async () => {
    const network = new InProcessNetwork();
    network.connect("b");
    await expect(InProcessTransport.createPair("a", "b", {}, network)).rejects.toMatchObject({ code: "AddressInUse" });
    expect(network.list()).toEqual(["b"]);
    await network.close();
  });

  describe("backpressure", () => {
    it("a send to a full queue waits for space and keeps FIFO", async () => {
      const [a, b] = await InProcessTransport.createPair("a", "b", { queueCapacity: 2 });
      const sends = [0, 1, 2, 3].map((i) => a.send("b", Message.event("a", "n", { i })));
      // per send, how many receives b had started when it settled
      let receives = 0;
      const receivesBySettle: number[] = [];
      sends.forEach((s, i) => void s.then(() => (receivesBySettle[i] = receives)));
      await waitFor(() => receivesBySettle, { until: (settled) => Object.keys(settled).length >= 2, what: "the first two sends to settle" });
      expect(receivesBySettle).toEqual([0, 0]); // two went in, two wait
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        receives++;
        seen.push((await receiveWithin(b)).message.json<{ i: number }>()!.i);
      }
      await Promise.all(sends);
      expect(seen).toEqual([0, 1, 2, 3]);
      // each waiting send went in only once a receive had made room for it
      expect(receivesBySettle[2]).toBeGreaterThanOrEqual(1);
      expect(receivesBySettle[3]).toBeGreaterThanOrEqual(2);
      await Promise.all([a.close(), b.close()]);
    });

    it("a send that waits longer than connectionTimeoutMs fails with Timeout", async () => {
      const [a, b] = await InProcessTransport.createPair("a", "b", { queueCapacity: 1, connectionTimeoutMs: 30 });
      await a.send("b", Message.event("a", "first"));
      await expect(a.send("b", Message.event("a", "second"))).rejects.toMatchObject({ code: "Timeout" });
      expect(a.stats().errors).toBe(1);
      // the queue still holds the first message only (in-process delivery is synchronous)
      expect((await receiveWithin(b)).message.payload("event")?.name).toBe("first");
      expect(b.tryReceive()).toBeUndefined();
      await Promise.all([a.close(), b.close()]);
    });

    it("waiting senders are bounded: beyond queueCapacity of them, QueueFull", async () => {
      const [a, b] = await InProcessTransport.createPair("a", "b", { queueCapacity: 1, connectionTimeoutMs: 1000 });
      await a.send("b", Message.event("a", "queued"));
      const waiting = a.send("b", Message.event("a", "waits"));
      await expect(a.send("b", Message.event("a", "refused"))).rejects.toMatchObject({ code: "QueueFull" });
      await receiveWithin(b);
      await waiting;
      await Promise.all([a.close(), b.close()]);
    });

    it("an aborted waiting send is not delivered", async () => {
      const [a, b] = await InProcessTransport.createPair("a", "b", { queueCapacity: 1 });
      await a.send("b", Message.event("a", "first"));
      const controller = new AbortController();
      const waiting = a.send("b", Message.event("a", "aborted"), { signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ code: "Aborted" });
      expect((await receiveWithin(b)).message.payload("event")?.name).toBe("first");
      await a.send("b", Message.event("a", "third"));
      expect((await receiveWithin(b)).message.payload("event")?.name).toBe("third");
      await Promise.all([a.close(), b.close()]);
    });

    it("closing the receiver fails its waiting senders with Closed and counts dropped messages", async () => {
      const [a, b] = await InProcessTransport.createPair("a", "b", { queueCapacity: 1 });
      await a.send("b", Message.event("a", "queued"));
      const waiting = a.send("b", Message.event("a", "waits"));
      await b.close();
      await expect(waiting).rejects.toMatchObject({ code: "Closed" });
      expect(b.stats().messagesDropped).toBe(1);
      await a.close();
    });
  });

  it("a message whose bound exceeds the limit but whose real size fits is delivered", async () => {
    // 1000 JSON numbers: the cheap bound (32 B each) is far above the real size (~11 B each).
    const [a, b] = await InProcessTransport.createPair("a", "b", { maxMessageSize: 20_000 });
    const numbers = Array.from({ length: 1000 }, (_, i) => i);
    const message = Message.event("a", "numbers", numbers);
    expect(message.sizeUpperBound()).toBeGreaterThan(20_000);
    await a.send("b", message);
    expect((await receiveWithin(b)).message.json()).toEqual(numbers);
    await Promise.all([a.close(), b.close()]);
  });

  it("a cyclic payload is refused with SerializationError, not a stack overflow", async () => {
    const [a, b] = await InProcessTransport.createPair("a", "b");
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    const error = await a.send("b", Message.event("a", "loop", cyclic as never)).catch((e: unknown) => e);
    expect(TransportError.is(error, "SerializationError")).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });
});
