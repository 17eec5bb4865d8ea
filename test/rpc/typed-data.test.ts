import type { BinaryWriter } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChatResponse, EchoRequest } from "../../generated/swarm/examples/v1/compute.js";
import type { MessageType } from "../../src/rpc/definitions.js";
import { TypedData } from "../../src/rpc/typed-data.js";

function wireBytes(data: TypedData<unknown>): Uint8Array {
  const kind = data.kind;
  if (kind?.$case !== "binary") throw new Error("expected binary data");
  return kind.value;
}

/** Byte equality without vitest's per-element deep diff (slow for 70 kB arrays). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

describe("TypedData", () => {
  it("encodes exactly as the generated codec, message after message of any size", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(new Uint8Array(70_000).fill(7), new Uint8Array(0))), { maxLength: 8 }),
        fc.string({ maxLength: 100 }),
        (payloads, text) => {
          for (const payload of payloads) {
            expectSameBytes(wireBytes(new TypedData({ payload }, EchoRequest)), EchoRequest.encode({ payload }).finish());
            expectSameBytes(wireBytes(new TypedData({ text, seq: payload.length }, ChatResponse)), ChatResponse.encode({ text, seq: payload.length }).finish());
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("gives each message bytes of its own", () => {
    const first = wireBytes(new TypedData({ payload: new Uint8Array([1, 2, 3]) }, EchoRequest));
    const copy = first.slice();
    wireBytes(new TypedData({ payload: new Uint8Array([9, 9, 9, 9]) }, EchoRequest));
    expect(first).toEqual(copy);
  });

  it("encodes correctly after a message type whose encode threw half-way", () => {
    const Broken: MessageType<unknown> = {
      encode(_message: unknown, writer?: BinaryWriter): BinaryWriter {
        writer!.uint32(10).fork().bytes(new Uint8Array(5));
        throw new Error("broken encoder");
      },
      decode: () => ({}),
    };
    expect(() => new TypedData({}, Broken).kind).toThrow("broken encoder");
    const payload = new Uint8Array([4, 5, 6]);
    expect(wireBytes(new TypedData({ payload }, EchoRequest))).toEqual(EchoRequest.encode({ payload }).finish());
  });
});
