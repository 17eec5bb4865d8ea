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
