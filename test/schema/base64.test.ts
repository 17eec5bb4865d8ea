// base64 of proto3 JSON bytes: the Buffer path (Node) and the portable path (browsers) agree.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64, decodeBase64Portable, encodeBase64, encodeBase64Portable } from "../../src/schema/base64.js";

const urlSafe = (text: string) => text.replace(/\+/g, "-").replace(/\//g, "_");
const unpadded = (text: string) => text.replace(/=+$/, "");

describe("base64", () => {
  it("encodes as Node does, with either path", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const expected = Buffer.from(bytes).toString("base64");
        expect(encodeBase64(bytes)).toBe(expected);
        expect(encodeBase64Portable(bytes)).toBe(expected);
      }),
    );
  });

  it("decodes standard and URL-safe, padded or not, with either path", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64");
        for (const variant of [text, urlSafe(text), unpadded(text), unpadded(urlSafe(text))]) {
          expect([...decodeBase64(variant)!]).toEqual([...bytes]);
          expect([...decodeBase64Portable(variant)!]).toEqual([...bytes]);
        }
      }),
    );
  });

  it("both paths refuse the same strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."AQz09+/-_=* \n"), maxLength: 9 }), (text) => {
        const native = decodeBase64(text);
        const portable = decodeBase64Portable(text);
        expect(native === undefined ? undefined : [...native]).toEqual(portable === undefined ? undefined : [...portable]);
      }),
      { numRuns: 2000 },
    );
    for (const text of ["A", "AQ=", "AQID=", "+_8", "AQ*D", "AQ==AQ==", "A===", "=", "AQ\n"]) {
      expect([text, decodeBase64(text)]).toEqual([text, undefined]);
      expect([text, decodeBase64Portable(text)]).toEqual([text, undefined]);
    }
  });
});
