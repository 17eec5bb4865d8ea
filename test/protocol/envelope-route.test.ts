import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeEnvelopeBody } from "../../src/protocol/batch.js";
import { decodeEnvelope } from "../../src/protocol/codec.js";
import { readEnvelopeRoute, routeOfEnvelope } from "../../src/protocol/envelope-route.js";
import { Message } from "../../src/protocol/message.js";
import { envelopeArb } from "./arbitraries.js";

/** What a route says, comparable. */
const seen = (route: ReturnType<typeof readEnvelopeRoute>) => {
  const { id, source, destination, ttl, headers, kind, eventName } = route;
  return { id, source, destination, ttl, headers: { ...headers }, kind, eventName };
};

/** readEnvelopeRoute against the full decoder: it fails exactly when decoding fails, and reads what the decoder reads. */
function agrees(body: Uint8Array): void {
  let decoded: ReturnType<typeof decodeEnvelope> | undefined;
  let decodeError: unknown;
  try {
    decoded = decodeEnvelope(body);
  } catch (error) {
    decodeError = error;
  }
  let route: ReturnType<typeof readEnvelopeRoute> | undefined;
  let routeError: unknown;
  try {
    route = readEnvelopeRoute(body);
  } catch (error) {
    routeError = error;
  }
  expect({ refused: routeError !== undefined, why: String(routeError) }).toEqual({ refused: decodeError !== undefined, why: String(routeError) });
  if (decoded !== undefined && route !== undefined) {
    expect(seen(route)).toEqual(seen(routeOfEnvelope(decoded)));
    expect(route.envelope()).toEqual(decoded);
  }
}

describe("readEnvelopeRoute: a hub's partial parse ([W3])", () => {
  it("reads the routing fields of every kind of envelope as the decoder does", () => {
    fc.assert(fc.property(envelopeArb, (envelope) => agrees(encodeEnvelopeBody(envelope, 1 << 24))), { numRuns: 500 });
  });

  it("refuses exactly what the decoder refuses: mutated and cut envelopes", () => {
    fc.assert(
      fc.property(envelopeArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (envelope, position, value, cut) => {
        const body = encodeEnvelopeBody(envelope, 1 << 24).slice();
        if (body.length === 0) return;
        body[position % body.length] = value;
        agrees(body);
        agrees(body.subarray(0, cut % (body.length + 1)));
      }),
      { numRuns: 3000 },
    );
  });

  it("routing fields that disagree with the body: repeated fields read last-wins, a payload arm that is overridden, over-limit headers", () => {
    const first = encodeEnvelopeBody(Message.event("a", "one", new Uint8Array([1])).to("b").envelope, 1 << 20);
    const second = encodeEnvelopeBody(Message.request("a", "m", new Uint8Array([2])).to("c").envelope, 1 << 20);
    const both = new Uint8Array([...first, ...second]);
    const route = readEnvelopeRoute(both);
    expect(route).toMatchObject({ destination: "c", kind: "request", eventName: "" });
    agrees(both);
    // 65 headers across two copies of the same envelope's map: over the limit, refused like the decoder
    let many = Message.event("a", "x", new Uint8Array(0)).to("b");
    for (let i = 0; i < 40; i++) many = many.withHeader(`h${i}`, "v");
    let others = Message.event("a", "x", new Uint8Array(0)).to("b");
    for (let i = 40; i < 70; i++) others = others.withHeader(`h${i}`, "v");
    const split = new Uint8Array([...encodeEnvelopeBody(many.envelope, 1 << 20), ...encodeEnvelopeBody(others.envelope, 1 << 20)]);
    expect(() => readEnvelopeRoute(split)).toThrow(/more than 64/);
    agrees(split);
  });

  it("a priority over 255 is refused; JSON data and Control are decoded whole", () => {
    const loud = encodeEnvelopeBody({ ...Message.event("a", "x", new Uint8Array(0)).envelope, priority: 256 }, 1 << 20);
    expect(() => readEnvelopeRoute(loud)).toThrow(/priority/);
    const json = readEnvelopeRoute(encodeEnvelopeBody(Message.event("a", "x", { deep: [1] }).to("b").envelope, 1 << 20));
    expect(json.envelope().payload?.$case).toBe("event");
    const control = readEnvelopeRoute(encodeEnvelopeBody(Message.control("a", { operation: { $case: "lookup", value: { address: "b" } } }).envelope, 1 << 20));
    expect(control.control?.operation?.$case).toBe("lookup");
  });
});
