// The edge's own HTTP/2 pieces with fixed bytes: HPACK's Huffman code and header blocks
// against RFC 7541's examples (Appendix C), and the encoder read back by the decoder.
import { describe, expect, it } from "vitest";
import { encodeHeaders, HpackDecoder, HpackError } from "../../src/gateway/h2/hpack.js";
import { huffmanDecode } from "../../src/gateway/h2/huffman.js";

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

describe("HPACK", () => {
  it("decodes RFC 7541 C.4.1's Huffman strings, and refuses bad padding and EOS", () => {
    expect(huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"))).toBe("www.example.com");
    expect(huffmanDecode(hex("a8eb 1064 9cbf"))).toBe("no-cache");
    expect(huffmanDecode(hex("25a8 49e9 5ba9 7d7f"))).toBe("custom-key");
    expect(() => huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff"))).toThrow(/padding/);
    expect(() => huffmanDecode(hex("ffff ffff"))).toThrow();
  });

  it("decodes the request sequence of RFC 7541 C.4 (Huffman, dynamic table carried across blocks)", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"), 4096)).toEqual([
      [":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"],
    ]);
    expect(decoder.decode(hex("8286 84be 5886 a8eb 1064 9cbf"), 4096)).toEqual([
      [":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"], ["cache-control", "no-cache"],
    ]);
    expect(decoder.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"), 4096)).toEqual([
      [":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [":authority", "www.example.com"], ["custom-key", "custom-value"],
    ]);
  });

  it("evicts by the table size the peer sets (RFC 7541 C.5, a 256-byte table)", () => {
    const decoder = new HpackDecoder(256);
    decoder.decode(hex("3fe1 01"), 4096); // size update to 256
    const first = hex("4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
    expect(decoder.decode(first, 4096)[0]).toEqual([":status", "302"]);
    const second = hex("4803 3330 37c1 c0bf");
    expect(decoder.decode(second, 4096)).toEqual([
      [":status", "307"], ["cache-control", "private"], ["date", "Mon, 21 Oct 2013 20:13:21 GMT"], ["location", "https://www.example.com"],
    ]);
  });

  it("bounds what it takes: header lists, table size updates, indexes past the table", () => {
    expect(() => new HpackDecoder().decode(hex("3fe1 3f"), 4096)).toThrow(HpackError); // a table of 8192 bytes: more than we allow
    expect(() => new HpackDecoder().decode(hex("be"), 4096)).toThrow(/past the dynamic table/);
    const big = encodeHeaders([["x-big", "a".repeat(100)]]);
    const decoder = new HpackDecoder();
    expect(decoder.decode(big, 64)).toEqual([]);
    expect(decoder.listBytes).toBe(137);
  });

  it("writes blocks any decoder reads back: :status 200 from the static table, the rest as literals", () => {
    const block = encodeHeaders([[":status", "200"], ["content-type", "application/grpc"], ["grpc-status", "0"], ["x-long", "z".repeat(300)]]);
    expect(block[0]).toBe(0x88);
    expect(new HpackDecoder().decode(block, 65536)).toEqual([[":status", "200"], ["content-type", "application/grpc"], ["grpc-status", "0"], ["x-long", "z".repeat(300)]]);
  });
});
