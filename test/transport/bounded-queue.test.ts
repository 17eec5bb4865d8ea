import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { BoundedQueue } from "../../src/transport/bounded-queue.js";
import { TransportError } from "../../src/transport/errors.js";

describe("BoundedQueue", () => {
  it("is FIFO across wrap-around and growth", () => {
    const queue = new BoundedQueue<number>(5000);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 97; i++) expect(queue.offer(next++)).toBe(true);
      for (let i = 0; i < 60; i++) expect(queue.poll()).toBe(expected++);
    }
    while (queue.size > 0) expect(queue.poll()).toBe(expected++);
    expect(expected).toBe(next);
  });

  it("refuses past capacity, and hands items straight to a waiting taker", async () => {
    const queue = new BoundedQueue<string>(1);
    const taken = queue.take();
    expect(queue.offer("direct")).toBe(true);
    expect(await taken).toBe("direct");
    expect(queue.offer("a")).toBe(true);
    expect(queue.offer("b")).toBe(false);
    expect(queue.size).toBe(1);
  });

  it("a waiting producer's item moves in when a slot frees, before later offers", async () => {
    const queue = new BoundedQueue<string>(1);
    queue.offer("first");
    const waiting = queue.offerWait("second", 0, 1000, 10, undefined, "q");
    expect(queue.poll()).toBe("first");
    // the slot went to the waiting producer synchronously; a newcomer cannot overtake it
    expect(queue.offer("third")).toBe(false);
    await waiting;
    expect(queue.poll()).toBe("second");
  });

  it("close rejects takers and producers and reports the dropped count", async () => {
    const queue = new BoundedQueue<number>(1);
    const taker = new BoundedQueue<number>(1).take();
    queue.offer(1);
    const producer = queue.offerWait(2, 0, 1000, 10, undefined, "q");
    const error = new TransportError("Closed", "q is closed");
    expect(queue.close(error)).toBe(1);
    await expect(producer).rejects.toBe(error);
    await expect(queue.take()).rejects.toBe(error);
    expect(queue.close(error)).toBe(0);
    void taker.catch(() => undefined);
  });
});

describe("BoundedQueue waits with a signal", () => {
  it("one abort listener serves every wait on the same signal, and at most one stays registered while idle", async () => {
    const queue = new BoundedQueue<number>(10);
    const reader = new AbortController();
    for (let i = 0; i < 100; i++) {
      const taken = queue.take(reader.signal);
      expect(getEventListeners(reader.signal, "abort")).toHaveLength(1);
      queue.offer(i);
      expect(await taken).toBe(i);
    }
    // another signal's wait: the idle registration moves to it, the first one's goes
    const other = new AbortController();
    const taken = queue.take(other.signal);
    queue.offer(1);
    await taken;
    expect(getEventListeners(reader.signal, "abort")).toHaveLength(0);
    expect(getEventListeners(other.signal, "abort")).toHaveLength(1);
    queue.close(new TransportError("Closed", "q is closed"));
    expect(getEventListeners(other.signal, "abort")).toHaveLength(0);
  });

  it("an abort rejects every wait on that signal, in order, and no other", async () => {
    const queue = new BoundedQueue<string>(1);
    const shared = new AbortController();
    const first = queue.take(shared.signal).catch((e: unknown) => e);
    const unsignalled = queue.take();
    const second = queue.take(shared.signal).catch((e: unknown) => e);
    queue.offer("x"); // served in arrival order: the first wait gets it
    expect(await first).toBe("x");
    shared.abort(new Error("stop"));
    const error = (await second) as TransportError;
    expect(TransportError.is(error, "Aborted")).toBe(true);
    expect((error.cause as Error).message).toBe("stop");
    queue.offer("y");
    expect(await unsignalled).toBe("y");
  });

  it("a producer waiting with a signal leaves on abort; an already aborted signal rejects at once", async () => {
    const queue = new BoundedQueue<number>(1);
    queue.offer(1);
    const controller = new AbortController();
    const waiting = queue.offerWait(2, 0, 10_000, 10, controller.signal, "q");
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "Aborted" });
    expect(queue.waitingProducers).toBe(0);
    await expect(queue.take(controller.signal)).resolves.toBe(1);
    await expect(queue.take(controller.signal)).rejects.toMatchObject({ code: "Aborted" });
  });

  it("take's onTaken is applied as the item is handed over, whether queued or awaited", async () => {
    const queue = new BoundedQueue<number>(4);
    queue.offer(1);
    expect(await queue.take(undefined, (n) => n * 10)).toBe(10);
    const waiting = queue.take(undefined, (n) => n * 10);
    queue.offer(2);
    expect(await waiting).toBe(20);
  });
});
