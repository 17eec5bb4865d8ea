import fc from "fast-check";
import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Envelope } from "../../generated/swarm/transport/v1/envelope.js";

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const safeUint = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const text = fc.string({ unit: "grapheme", maxLength: 20 });

// JSON values as google.protobuf.Value can carry them: numbers are doubles (no -0, no NaN).
// Keys named "__proto__" are left out: the generated Struct code stores fields in a plain object,
// where that key sets the prototype instead (docs/README.md, "Known limits").
const json = fc
  .jsonValue({ maxDepth: 4 })
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown)
  .filter((value) => !JSON.stringify(value).includes('"__proto__"'));

export const dataArb: fc.Arbitrary<Data> = fc.oneof(
  fc.record({ kind: fc.record({ $case: fc.constant("json" as const), value: json }), typeName: fc.constant("") }),
  fc.record({ kind: fc.record({ $case: fc.constant("binary" as const), value: fc.uint8Array({ maxLength: 64 }) }), typeName: text }),
);

const version = fc.record({ major: u32, minor: u32, patch: u32 });
const stringMap = fc.dictionary(text.filter((key) => key !== "__proto__"), text, { maxKeys: 4 });

const payloadArb: fc.Arbitrary<Envelope["payload"]> = fc.oneof(
  fc.record({
    $case: fc.constant("request" as const),
    value: fc.record({ correlationId: safeUint, method: text, params: fc.option(dataArb, { nil: undefined }), timeoutMs: u32 }),
  }),
  fc.record({
    $case: fc.constant("response" as const),
    value: fc.record({
      correlationId: safeUint,
      trailers: stringMap,
      outcome: fc.oneof(
        fc.record({ $case: fc.constant("result" as const), value: dataArb }),
        fc.record({
          $case: fc.constant("error" as const),
          value: fc.record({ code: fc.integer({ min: 0, max: 16 }), message: text, details: fc.option(dataArb, { nil: undefined }) }),
        }),
      ),
    }),
  }),
  fc.record({ $case: fc.constant("event" as const), value: fc.record({ name: text, data: fc.option(dataArb, { nil: undefined }) }) }),
  fc.record({ $case: fc.constant("broadcast" as const), value: fc.record({ topic: text, data: fc.option(dataArb, { nil: undefined }) }) }),
  fc.record({ $case: fc.constant("heartbeat" as const), value: fc.record({ seq: safeUint }) }),
  fc.record({
    $case: fc.constant("stream" as const),
    value: fc.record({
      correlationId: safeUint,
      frame: fc.oneof(
        fc.record({ $case: fc.constant("message" as const), value: dataArb }),
        fc.record({ $case: fc.constant("halfClose" as const), value: fc.constant({}) }),
        fc.record({ $case: fc.constant("credit" as const), value: u32 }),
      ),
      fromCallee: fc.boolean(),
    }),
  }),
  fc.record({
    $case: fc.constant("control" as const),
    value: fc.record({
      operation: fc.oneof(
        fc.record({
          $case: fc.constant("hello" as const),
          value: fc.record({ version, capabilities: fc.array(text, { maxLength: 3 }), metadata: stringMap }),
        }),
        fc.record({
          $case: fc.constant("helloAck" as const),
          value: fc.record({ version, capabilities: fc.array(text, { maxLength: 3 }), metadata: stringMap }),
        }),
        fc.record({ $case: fc.constant("goodbye" as const), value: fc.record({ reason: text, code: text }) }),
        fc.record({ $case: fc.constant("cancel" as const), value: fc.record({ correlationId: safeUint, reason: text }) }),
        fc.record({ $case: fc.constant("subscribe" as const), value: fc.record({ subscriptionId: u32, pattern: text, queueGroup: text, window: u32 }) }),
        fc.record({ $case: fc.constant("unsubscribe" as const), value: fc.record({ subscriptionId: u32 }) }),
        fc.record({ $case: fc.constant("interestSync" as const), value: fc.constant({}) }),
        fc.record({ $case: fc.constant("setCompression" as const), value: fc.record({ enabled: fc.boolean(), thresholdBytes: u32 }) }),
        fc.record({
          $case: fc.constant("flowControl" as const),
          value: fc.record({ pause: fc.boolean(), pressure: fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround) }),
        }),
      ),
    }),
  }),
);

/** Arbitrary valid envelopes, covering every payload arm and optional field. */
export const envelopeArb: fc.Arbitrary<Envelope> = fc.record({
  id: safeUint,
  timestampMs: safeUint,
  source: text,
  destination: fc.option(text, { nil: undefined }),
  version: fc.option(version, { nil: undefined }),
  headers: stringMap,
  priority: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
  ttl: fc.option(u32, { nil: undefined }),
  payload: payloadArb,
});
