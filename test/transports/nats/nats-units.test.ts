import { describe, expect, it } from "vitest";
import { encodeToken, NatsSubjects } from "../../../src/transports/nats/nats-subjects.js";
import { DEFAULT_NATS_TUNING, resolveNatsTuning } from "../../../src/transports/nats/nats-options.js";
import { Presence } from "../../../src/transports/nats/presence.js";
import { PublishGate } from "../../../src/transports/nats/publish-gate.js";
import { resolveConfig } from "../../../src/transport/config.js";

describe("NATS subjects", () => {
  it("maps any agent id to exactly one token, and leaves safe ids as they are", () => {
    expect(encodeToken("agent_1-b")).toBe("agent_1-b");
    expect(encodeToken("a.b")).toBe("a~2e~b");
    expect(encodeToken("a b*>")).toBe("a~20~b~2a~~3e~");
    expect(encodeToken("~")).toBe("~7e~");
    expect(encodeToken("é")).toBe("~e9~");
    const ids = ["a.b", "a~2e~b", "a_b", "a b", "a~20~b"];
    expect(new Set(ids.map(encodeToken)).size).toBe(ids.length);
    for (const id of ids) expect(encodeToken(id)).toMatch(/^[A-Za-z0-9_~-]+$/);
  });

  it("puts everything of a swarm under its prefix", () => {
    const subjects = new NatsSubjects("team.alpha");
    expect(subjects.agent("w.1")).toBe("team.alpha.a.w~2e~1");
    expect(subjects.all).toBe("team.alpha.all");
    expect(subjects.presence).toBe("team.alpha.presence");
    expect(subjects.event("jobs.*")).toBe("team.alpha.ev.jobs.*");
    expect(subjects.eventSubject("team.alpha.ev.jobs.7")).toBe("jobs.7");
    expect(subjects.durable("orders.>")).toBe("team.alpha.js.orders.>");
    expect(subjects.durableAll).toBe("team.alpha.js.>");
  });
});

describe("NATS options", () => {
  it("defaults, derived defaults and named errors", () => {
    const config = resolveConfig({ queueCapacity: 50 });
    const tuning = resolveNatsTuning({ heartbeatIntervalMs: 200 }, config);
    expect(tuning).toMatchObject({ ...DEFAULT_NATS_TUNING, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 600, maxBufferedMessages: 50 });
    expect(() => resolveNatsTuning({ subjectPrefix: "a.*" }, config)).toThrow(/subjectPrefix/);
    expect(() => resolveNatsTuning({ flushEveryBytes: 10, maxPendingBytes: 5 }, config)).toThrow(/flushEveryBytes <= maxPendingBytes/);
    expect(() => resolveNatsTuning({ durableReplicas: 7 }, config)).toThrow(/durableReplicas/);
    expect(() => resolveNatsTuning({ maxPeers: -1 }, config)).toThrow(/maxPeers/);
  });
});

describe("Presence", () => {
  const track = (maxPeers = 10, timeoutMs = 100) => {
    const log: string[] = [];
    const presence = new Presence({ joined: (peer, window, rejoined) => log.push(`${rejoined ? "rejoined" : "joined"} ${peer} ${window}`), gone: (peer, reason) => log.push(`gone ${peer} ${reason}`) }, maxPeers, timeoutMs);
    return { presence, log };
  };

  it("joins on first word, rejoins on a new epoch, leaves on Goodbye or silence", () => {
    const { presence, log } = track();
    presence.heard("a", "e1", 10, 0);
    presence.heard("a", "e1", 10, 50);
    presence.heard("b", "", 5, 50); // learned from a Lookup: no epoch yet
    presence.heard("b", "x1", 5, 60); // its first heartbeat is no rejoin
    presence.heard("a", "e2", 10, 70); // reconnected
    presence.left("b", "closed");
    presence.sweep(160); // a last heard at 70: 90 ms ago, not yet
    presence.sweep(171);
    expect(log).toEqual(["joined a 10", "joined b 5", "rejoined a 10", "gone b closed", "gone a no heartbeat for 101 ms"]);
    expect(presence.peers()).toEqual([]);
  });

  it("is bounded: past maxPeers newcomers are counted, not tracked", () => {
    const { presence, log } = track(2);
    for (const peer of ["a", "b", "c", "d"]) presence.heard(peer, "e", 1, 0);
    expect(presence.peers()).toEqual(["a", "b"]);
    expect(presence.untracked).toBe(2);
    expect(log).toHaveLength(2);
  });

  it("a reconnect of this side restarts every peer's clock", () => {
    const { presence, log } = track();
    presence.heard("a", "e", 1, 0);
    presence.refresh(1000);
    presence.sweep(1050);
    expect(log).toEqual(["joined a 1"]);
    expect(presence.forget("a")).toBe(true);
    expect(presence.has("a")).toBe(false);
  });
});

describe("PublishGate", () => {
  it("confirms every flushEveryBytes and holds senders past maxPendingBytes until a PONG", async () => {
    const pongs: (() => void)[] = [];
    let rooms = 0;
    const gate = new PublishGate(100, 40, () => new Promise<void>((resolve) => pongs.push(resolve)), () => rooms++);
    gate.published(30);
    expect(pongs).toHaveLength(0);
    gate.published(30); // 60 since the last confirmation: a PING
    expect(pongs).toHaveLength(1);
    gate.published(30);
    gate.published(30); // 120 unconfirmed: full, and a second PING for the last 60
    expect(gate.hasRoom).toBe(false);
    expect(pongs).toHaveLength(2);
    pongs.shift()!();
    await Promise.resolve();
    await Promise.resolve();
    expect(gate.unconfirmed).toBe(60);
    expect(gate.hasRoom).toBe(true);
    expect(rooms).toBe(1);
  });

  it("a failed confirmation (the connection dropped) releases its bytes too", async () => {
    let reject!: (error: Error) => void;
    const gate = new PublishGate(50, 50, () => new Promise<void>((_, r) => (reject = r)), () => undefined);
    gate.published(60);
    expect(gate.hasRoom).toBe(false);
    reject(new Error("disconnected"));
    await Promise.resolve();
    await Promise.resolve();
    expect(gate.unconfirmed).toBe(0);
  });
});
