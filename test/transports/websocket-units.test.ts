import { describe, expect, it } from "vitest";
import { Message } from "../../src/index.js";
import { ReceiveCredits, SendWindows } from "../../src/transports/websocket/credits.js";
import { isSequenced, Session } from "../../src/transports/websocket/session.js";

const body = (n: number) => new Uint8Array(n);

describe("Session (pure bookkeeping)", () => {
  it("keeps what was sent until acknowledged and resends what follows the peer's count", () => {
    const session = new Session("s", 1000);
    for (let i = 1; i <= 5; i++) session.record(body(i));
    expect(session.unacked).toBe(5);
    session.acknowledge(2);
    expect(session.unacked).toBe(3);
    expect(session.bufferedBytes).toBe(3 + 4 + 5);
    expect(session.resendAfter(3).map((b) => b.length)).toEqual([4, 5]);
    expect(() => session.resendAfter(1)).toThrow(/cannot resume session s/);
    expect(() => session.acknowledge(9)).toThrow(/acknowledged 9 envelopes, only 5/);
  });

  it("is full past its byte bound", () => {
    const session = new Session("s", 10);
    session.record(body(6));
    expect(session.isFull).toBe(false);
    session.record(body(6));
    expect(session.isFull).toBe(true);
    session.acknowledge(1);
    expect(session.isFull).toBe(false);
  });

  it("says an Ack is due every 32 received (or 256 KiB); the Ack covers everything received by then", () => {
    const session = new Session("s", 1000);
    const due: number[] = [];
    for (let i = 1; i <= 40; i++) if (session.onReceived(10)) due.push(i);
    expect(due[0]).toBe(32);
    expect(session.ackNow()).toBe(40);
    expect(session.ackNow()).toBeUndefined();
    expect(session.onReceived(256 * 1024)).toBe(true); // or once 256 KiB arrived
    expect(session.ackNow()).toBe(41);
  });

  it("sequences everything but Hello, HelloAck, Goodbye, Ack and Heartbeat", () => {
    expect(isSequenced(Message.event("a", "x").envelope)).toBe(true);
    expect(isSequenced(Message.control("a", { operation: { $case: "credit", value: { address: "b", count: 1 } } }).envelope)).toBe(true);
    expect(isSequenced(Message.heartbeat("a", 1).envelope)).toBe(false);
    expect(isSequenced(Message.hello("a").envelope)).toBe(false);
    expect(isSequenced(Message.goodbye("a", "bye").envelope)).toBe(false);
    expect(isSequenced(Message.control("a", { operation: { $case: "ack", value: { received: 3 } } }).envelope)).toBe(false);
  });
});

describe("credit windows (pure bookkeeping)", () => {
  it("a sender spends the receiver's window and waits for grants", () => {
    const windows = new SendWindows();
    windows.reset("hub");
    expect(windows.credit("hub")).toBe(Infinity);
    expect(windows.credit("b")).toBeUndefined();
    expect(windows.startLookup("b")).toBe(true);
    expect(windows.startLookup("b")).toBe(false);
    windows.found("b", 2);
    windows.consume("b");
    windows.consume("b");
    expect(windows.credit("b")).toBe(0);
    windows.grant("b", 1);
    expect(windows.credit("b")).toBe(1);
    windows.found("c", 0);
    expect(windows.credit("c")).toBe(Infinity);
    windows.forget("b");
    expect(windows.credit("b")).toBeUndefined();
  });

  it("a receiver grants once half its window was taken", () => {
    const credits = new ReceiveCredits(4);
    expect([credits.taken("a"), credits.taken("a"), credits.taken("a")]).toEqual([0, 2, 0]);
    expect(new ReceiveCredits(1).taken("a")).toBe(1);
  });
});
