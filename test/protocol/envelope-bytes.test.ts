import { describe, expect, it } from "vitest";
import { encodeEnvelopeBody } from "../../src/protocol/batch.js";
import { decodeEnvelope } from "../../src/protocol/codec.js";
import { withAppended } from "../../src/protocol/envelope-bytes.js";
import { Message } from "../../src/protocol/message.js";

const encode = (message: Message) => encodeEnvelopeBody(message.envelope, 1 << 20);

describe("withAppended (a hub's multicast copies, [M4])", () => {
  it("adds a header entry, and a destination, as re-encoding the changed envelope would; the bytes before are kept", () => {
    const body = encode(Message.event("pub", "jobs.1", { i: 1 }).withHeader("h", "v"));
    const copy = withAppended(body, ["swarm-queue", "workers"], "sub_ünïcode");
    expect(Array.from(copy.subarray(0, body.length))).toEqual(Array.from(body));
    expect(decodeEnvelope(copy)).toEqual({ ...decodeEnvelope(body), headers: { h: "v", "swarm-queue": "workers" }, destination: "sub_ünïcode" });
    expect(decodeEnvelope(withAppended(body, undefined, "x")).destination).toBe("x");
  });

  it("a later entry wins over one the publisher put there, and a long value takes a multi-byte length", () => {
    const body = encode(Message.event("pub", "s", 1).withHeader("swarm-queue", "forged").to("someone"));
    const group = "g".repeat(300);
    const decoded = decodeEnvelope(withAppended(body, ["swarm-queue", group], "sub"));
    expect(decoded.headers["swarm-queue"]).toBe(group);
    expect(decoded.destination).toBe("sub");
  });
});
