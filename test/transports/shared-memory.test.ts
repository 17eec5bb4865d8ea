import { describe, expect, it } from "vitest";
import { Message, SharedMemorySegment, SharedMemoryTransport, TransportError } from "../../src/index.js";
import { describeTransportConformance, receiveWithin } from "../transport/conformance.js";

const KiB = 1024;
const MiB = 1024 * KiB;

describeTransportConformance("shared-memory", async (addresses, config) => {
  const segment = SharedMemorySegment.create({ name: "conformance", size: 2 * MiB, ringBufferSize: 64 * KiB, maxEndpoints: 8 });
  const transports = [];
  for (const address of addresses) transports.push(await SharedMemoryTransport.attach(segment, address, config));
  return { transports, cleanup: async () => segment.close() };
});

describe("SharedMemorySegment", () => {
  it("validates its sizes", () => {
    expect(() => SharedMemorySegment.create({ name: "s", size: MiB, ringBufferSize: 100 })).toThrow(RangeError);
    expect(() => SharedMemorySegment.create({ name: "s", size: 64 * KiB, ringBufferSize: 64 * KiB })).toThrow(/at least 2/);
    expect(() => SharedMemorySegment.create({ name: "s", size: MiB, ringBufferSize: 4 * KiB, maxEndpoints: 1 })).toThrow(RangeError);
  });

  it("opens from a handle and refuses a buffer that is not a segment", () => {
    const segment = SharedMemorySegment.create({ name: "s", size: MiB, ringBufferSize: 4 * KiB });
    const handle = segment.handle();
    expect(handle.ownerId).toBeGreaterThan(0);
    expect(SharedMemorySegment.open(structuredClone(handle)).ringBufferSize).toBe(4 * KiB);
    const bogus = { ...handle, buffer: new SharedArrayBuffer(4096) };
    expect(() => SharedMemorySegment.open(bogus)).toThrow(expect.objectContaining({ code: "ConnectionError" }));
  });
});

describe("SharedMemoryTransport", () => {
  const segmentOf = (ringBufferSize = 4 * KiB) => SharedMemorySegment.create({ name: "t", size: 4 * MiB, ringBufferSize, maxEndpoints: 4 });

  it("refuses a taken, empty or too long address, and a full directory", async () => {
    const segment = segmentOf();
    const a = await SharedMemoryTransport.attach(segment, "a");
    await expect(SharedMemoryTransport.attach(segment, "a")).rejects.toMatchObject({ code: "AddressInUse", address: "a" });
    await expect(SharedMemoryTransport.attach(segment, "")).rejects.toMatchObject({ code: "InvalidAddress" });
    await expect(SharedMemoryTransport.attach(segment, "x".repeat(65))).rejects.toMatchObject({ code: "InvalidAddress" });
    const others = [await SharedMemoryTransport.attach(segment, "b"), await SharedMemoryTransport.attach(segment, "c"), await SharedMemoryTransport.attach(segment, "d")];
    await expect(SharedMemoryTransport.attach(segment, "e")).rejects.toMatchObject({ code: "ConnectionError" });
    await Promise.all([a, ...others].map((t) => t.close()));
  });

  it("reports a segment without room for another ring as ConnectionError", async () => {
    const segment = SharedMemorySegment.create({ name: "tight", size: 48 * KiB, ringBufferSize: 16 * KiB, maxEndpoints: 4 });
    const [a, b, c] = [await SharedMemoryTransport.attach(segment, "a"), await SharedMemoryTransport.attach(segment, "b"), await SharedMemoryTransport.attach(segment, "c")];
    await a.send("b", Message.event("a", "1"));
    await b.send("a", Message.event("b", "2"));
    const error = await a.send("c", Message.event("a", "3")).catch((e: unknown) => e);
    expect(TransportError.is(error, "ConnectionError")).toBe(true);
    expect(String(error)).toMatch(/no room for another ring/);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it("splits and joins a frame larger than the ring in one thread, and counts bytes", async () => {
    const segment = segmentOf(4 * KiB);
    const [a, b] = [await SharedMemoryTransport.attach(segment, "a"), await SharedMemoryTransport.attach(segment, "b")];
    const body = Uint8Array.from({ length: 100 * KiB }, (_, i) => i & 0xff);
    const sent = a.send("b", Message.event("a", "big", body));
    const { message } = await receiveWithin(b);
    await sent;
    expect(Buffer.compare(message.bytes()!, body)).toBe(0);
    expect(a.stats().bytesSent).toBeGreaterThan(100 * KiB);
    await Promise.all([a.close(), b.close()]);
  });

  it("an aborted chunked send leaves no pieces behind: the next message arrives whole", async () => {
    const segment = segmentOf(4 * KiB);
    const [a, b] = [await SharedMemoryTransport.attach(segment, "a"), await SharedMemoryTransport.attach(segment, "b")];
    const controller = new AbortController();
    const big = a.send("b", Message.event("a", "big", new Uint8Array(64 * KiB)), { signal: controller.signal });
    controller.abort(); // the first chunks are in the ring; the rest never will be
    await expect(big).rejects.toMatchObject({ code: "Aborted" });
    const after = a.send("b", Message.event("a", "after"));
    expect((await receiveWithin(b)).message.payload("event")?.name).toBe("after");
    await after;
    await Promise.all([a.close(), b.close()]);
  });

  it("delivers a message an endpoint sends to itself", async () => {
    const segment = segmentOf();
    const a = await SharedMemoryTransport.attach(segment, "a");
    await a.send("a", Message.event("a", "note to self"));
    const { from, message } = await receiveWithin(a);
    expect(from).toBe("a");
    expect(message.payload("event")?.name).toBe("note to self");
    await a.close();
  });

  it("segment.close() closes every endpoint on it", async () => {
    const segment = segmentOf();
    const [a, b] = [await SharedMemoryTransport.attach(segment, "a"), await SharedMemoryTransport.attach(segment, "b")];
    const pending = a.receive().catch((e: unknown) => e);
    segment.close();
    expect(await pending).toMatchObject({ code: "Closed" });
    expect(a.state).toBe("closed");
    expect(b.state).toBe("closed");
  });
});
