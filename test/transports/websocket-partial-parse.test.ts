import { afterEach, describe, expect, it } from "vitest";
import { encodeEnvelopeBody } from "../../src/protocol/batch.js";
import { Message } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { controlCase, helloPeer, type RawPeer } from "./websocket/raw-peer.js";
import { waitFor } from "../helpers/wait-for.js";

/** The hub routes by a partial parse ([W10]): what it reads is what a decoder reads, and it forwards the bytes as they came. */
describe("WebSocket hub: routing by a partial parse", () => {
  let hub: WebSocketHub | undefined;
  const peers: RawPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.socket.terminate();
    await hub?.close();
  });

  const frameOf = (...bodies: Uint8Array[]) => {
    const body = new Uint8Array(bodies.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bodies) {
      body.set(b, at);
      at += b.length;
    }
    return new Uint8Array([0, ...body]);
  };

  it("routing fields that disagree with the body: the last destination and payload win, as at the receiver; the bytes arrive unchanged", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { heartbeatIntervalMs: 0 });
    const [a, b, c] = [await helloPeer(hub.url, "a"), await helloPeer(hub.url, "b"), await helloPeer(hub.url, "c")];
    peers.push(a, b, c);
    // one envelope's bytes, then another's: a decoder reads destination "c" and the request (the later fields)
    const first = encodeEnvelopeBody(Message.event("a", "decoy", new Uint8Array([1])).to("b").envelope, 1 << 20);
    const second = encodeEnvelopeBody(Message.request("a", "m", new Uint8Array([2])).to("c").envelope, 1 << 20);
    a.socket.send(frameOf(first, second));
    const atC = await c.next((e) => e.payload?.$case === "request");
    expect(atC.destination).toBe("c");
    expect(Array.from(c.bodies.at(-1)!)).toEqual([...first, ...second]);
    // b gets nothing; a frame that would say "b" by its first fields and "c" by the decoder went to c only
    a.sendEnvelope(Message.event("a", "marker").to("b"));
    await b.next((e) => e.payload?.$case === "event");
    expect(b.received.filter((e) => e.payload?.$case === "event" || e.payload?.$case === "request").map((e) => e.payload?.$case)).toEqual(["event"]);
  });

  it("a body a decoder would refuse is refused at the hub, not forwarded: the sender is closed (4000), the receiver untouched", async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { heartbeatIntervalMs: 0 });
    const [a, b] = [await helloPeer(hub.url, "a"), await helloPeer(hub.url, "b")];
    peers.push(a, b);
    // id and timestamp fixed small, so the first 0x4a byte is the Request's tag (field 9, length-delimited)
    const good = encodeEnvelopeBody({ ...Message.request("a", "m", new Uint8Array(8)).to("b").envelope, id: 1, timestampMs: 1 }, 1 << 20);
    // the payload's Request (field 9) claims more bytes than the envelope has: its routing fields read fine, its body does not
    const at = good.indexOf(0x4a);
    const bad = good.slice();
    bad[at + 1] = bad[at + 1]! + 40;
    a.socket.send(new Uint8Array([0, ...bad]));
    expect((await a.closed).code).toBe(4000);
    const witness = await helloPeer(hub.url, "w");
    peers.push(witness);
    witness.sendEnvelope(Message.event("w", "ok").to("b"));
    await b.next((e) => e.payload?.$case === "event");
    expect(b.received.some((e) => e.payload?.$case === "request")).toBe(false);
    expect(controlCase(b.received[0]!)).toBe("helloAck");
    await waitFor(() => hub!.hubStats().protocolErrors, { what: "the refusal counted", until: (n) => n >= 1 });
  });
});
