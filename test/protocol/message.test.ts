import { describe, expect, it } from "vitest";
import { CURRENT_VERSION, DEFAULT_PRIORITY } from "../../src/protocol.js";
import { Message } from "../../src/index.js";

describe("Message builders", () => {
  it("request: fresh id, correlation id = id, JSON params, CURRENT_VERSION, timestamp", () => {
    const before = Date.now();
    const m = Message.request("agent_1", "compute_fibonacci", { n: 42 });
    expect(m.kind).toBe("request");
    expect(m.source).toBe("agent_1");
    expect(m.payload("request")).toEqual({ correlationId: m.id, method: "compute_fibonacci", params: expect.anything(), timeoutMs: 0 });
    expect(m.json()).toEqual({ n: 42 });
    expect(m.version).toEqual(CURRENT_VERSION);
    expect(m.timestampMs).toBeGreaterThanOrEqual(before);
    expect(Message.request("a", "m").id).toBeGreaterThan(m.id);
  });

  it("response and errorResponse carry the correlation id", () => {
    const ok = Message.response("agent_2", 7, { value: 267914296 });
    expect(ok.payload("response")?.correlationId).toBe(7);
    expect(ok.json()).toEqual({ value: 267914296 });
    const failed = Message.errorResponse("agent_2", 7, 5, "no such thing", { hint: "x" });
    expect(failed.payload("response")?.outcome).toEqual({
      $case: "error",
      value: { code: 5, message: "no such thing", details: expect.anything() },
    });
    expect(failed.json()).toEqual({ hint: "x" });
  });

  it("event, broadcast, heartbeat and binary bodies", () => {
    expect(Message.event("t", "weights_updated", { epoch: 1 }).payload("event")?.name).toBe("weights_updated");
    expect(Message.broadcast("c", "task_assignment", [1, 2]).json()).toEqual([1, 2]);
    expect(Message.heartbeat("c", 9).payload("heartbeat")).toEqual({ seq: 9 });
    const bytes = new Uint8Array([1, 2, 3]);
    const m = Message.event("t", "blob", bytes);
    expect(m.bytes()).toBe(bytes);
    expect(m.json()).toBeUndefined();
    expect(Message.event("t", "none").data).toBeUndefined();
  });

  it("chains to/withHeader/withPriority/withTtl as the seed does", () => {
    const m = Message.request("neural_coordinator", "distribute_training", { batch_size: 256 })
      .to("trainer")
      .withHeader("Authorization", "Bearer <token>")
      .withHeader("Content-Encoding", "gzip")
      .withPriority(255)
      .withTtl(10);
    expect(m.destination).toBe("trainer");
    expect(m.headers).toEqual({ Authorization: "Bearer <token>", "Content-Encoding": "gzip" });
    expect(m.priority).toBe(255);
    expect(m.ttl).toBe(10);
  });

  it("priority defaults to 128 and is not put on the wire then", () => {
    const m = Message.event("a", "e");
    expect(m.priority).toBe(DEFAULT_PRIORITY);
    m.withPriority(128);
    expect(m.envelope.priority).toBeUndefined();
    m.withPriority(0);
    expect(m.priority).toBe(0);
  });

  it("validates priority and ttl", () => {
    const m = Message.event("a", "e");
    expect(() => m.withPriority(256)).toThrow(RangeError);
    expect(() => m.withPriority(-1)).toThrow(/0\.\.255, got -1/);
    expect(() => m.withPriority(1.5)).toThrow(RangeError);
    expect(() => m.withTtl(-1)).toThrow(RangeError);
  });

  it("ttl: decrementTtl counts hops and isExpired reports exhaustion", () => {
    const m = Message.event("a", "e").withTtl(2);
    expect(m.isExpired()).toBe(false);
    expect(m.decrementTtl()).toBe(true);
    expect(m.ttl).toBe(1);
    expect(m.decrementTtl()).toBe(false);
    expect(m.isExpired()).toBe(true);
    expect(m.decrementTtl()).toBe(false);
    expect(m.ttl).toBe(0);
    const unlimited = Message.event("a", "e");
    expect(unlimited.decrementTtl()).toBe(true);
    expect(unlimited.isExpired()).toBe(false);
  });

  it("hello / helloAck / goodbye control messages", () => {
    const hello = Message.hello("client_agent", { capabilities: ["compression", "binary_codec"], metadata: { agent_type: "neural_trainer" } });
    expect(hello.payload("control")?.operation).toEqual({
      $case: "hello",
      value: { version: CURRENT_VERSION, capabilities: ["compression", "binary_codec"], metadata: { agent_type: "neural_trainer" } },
    });
    expect(Message.helloAck("hub").payload("control")?.operation?.$case).toBe("helloAck");
    expect(Message.goodbye("hub", "shutdown").payload("control")?.operation).toEqual({
      $case: "goodbye",
      value: { reason: "shutdown", code: "" },
    });
  });

  it("payload() returns undefined for another kind", () => {
    expect(Message.event("a", "e").payload("request")).toBeUndefined();
  });
});
