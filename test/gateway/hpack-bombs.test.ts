// HPACK bombs: the decoder with fixed hostile bytes (table size updates past our setting or out
// of place, indexes past the table, Huffman padding and EOS, integers that overflow), and the
// edge on the wire: a block that cannot be decoded is COMPRESSION_ERROR for the connection, a
// header list that decodes past its bound is a 431 for that stream only (the table stays in step).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HpackDecoder, HpackError } from "../../src/gateway/h2/hpack.js";
import { COMPUTE_PROTO } from "./fixture.js";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";
import { block, E, echoMessage, F, frame, grpcRequest, hpackInt, RawH2, T } from "./h2-raw.js";

const bytes = (...parts: (number | number[] | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(Array.isArray(p) ? p : [p]))));

describe("HPACK decoder bounds", () => {
  it("an integer of endless continuation bytes is refused, not read as NaN", () => {
    // a table size update whose value never grows: 0x3f then 200 × 0x80 then 0x00
    const update = bytes(0x3f, new Array<number>(200).fill(0x80), 0x00);
    expect(() => new HpackDecoder().decode(update, 65536)).toThrow(HpackError);
    const index = bytes(0xff, new Array<number>(200).fill(0x80), 0x01);
    expect(() => new HpackDecoder().decode(index, 65536)).toThrow(HpackError);
    // 2^31 and more
    expect(() => new HpackDecoder().decode(bytes(0x3f, [0xe1, 0xff, 0xff, 0xff, 0x0f]), 65536)).toThrow(/integer/);
  });

  it("a table size update is allowed at the start of a block only, and not past SETTINGS_HEADER_TABLE_SIZE", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(bytes(0x20, 0x3f, 0xe1, 0x1f, 0x82), 65536)).toEqual([[":method", "GET"]]); // 0 then 4096, then a field
    expect(() => new HpackDecoder().decode(bytes(0x82, 0x20), 65536)).toThrow(/table size update/);
    expect(() => new HpackDecoder().decode(Buffer.from(hpackInt(4097, 5, 0x20)), 65536)).toThrow(/4096/);
  });

  it("a table shrunk by an update evicts, and an index past what is left is refused", () => {
    const decoder = new HpackDecoder();
    decoder.decode(bytes(0x40, 0x01, 0x61, 0x01, 0x62), 65536); // insert a: b
    expect(decoder.decode(bytes(0xbe), 65536)).toEqual([["a", "b"]]);
    expect(() => decoder.decode(bytes(0x20, 0xbe), 65536)).toThrow(/past the dynamic table/);
    expect(() => new HpackDecoder().decode(bytes(0x80), 65536)).toThrow(/index 0/);
    expect(() => new HpackDecoder().decode(bytes(0xff, 0xff, 0x7f), 65536)).toThrow(/past the dynamic table/);
  });

  it("Huffman: EOS inside a string, padding of more than 7 bits, padding that is not all ones", () => {
    const huffman = (code: number[]) => bytes(0x00, 0x01, 0x61, 0x80 | code.length, code);
    expect(() => new HpackDecoder().decode(huffman([0xff, 0xff, 0xff, 0xff]), 65536)).toThrow(HpackError); // EOS (30 ones)
    expect(() => new HpackDecoder().decode(huffman([0x1f, 0xff]), 65536)).toThrow(/padding/); // 'a' (00011) then 11 bits of 1s
    expect(() => new HpackDecoder().decode(huffman([0x18]), 65536)).toThrow(/padding/); // 'a' then 000
    expect(new HpackDecoder().decode(huffman([0x1f]), 65536)).toEqual([["a", "a"]]);
  });

  it("a list that decodes past its bound is reported once the whole block is read, the table kept in step", () => {
    const decoder = new HpackDecoder();
    // inserts x: 4000 bytes, then refers to it 100 times: 400 KB from a 4 KB block
    const bomb = bytes(0x40, 0x01, 0x78, hpackInt(4000, 7, 0), Buffer.alloc(4000, 0x61), new Array<number>(100).fill(0xbe));
    const decoded = decoder.decode(bomb, 65536);
    expect(decoder.listBytes).toBe(101 * 4033);
    expect(decoded.length).toBeLessThanOrEqual(17);
    // the table holds the entry: the next block refers to it as the peer expects
    expect(decoder.decode(bytes(0xbe), 65536)).toEqual([["x", "a".repeat(4000)]]);
  });
});

describe("HPACK bombs on the wire", () => {
  let f: EdgeFixture;
  beforeAll(async () => {
    f = await startEdge({ gateway: { protoFiles: [COMPUTE_PROTO] }, http2: { maxHeaderListBytes: 16_384 } });
    await f.agent("worker");
  });
  afterAll(() => f.close());

  const call = (raw: RawH2, id: number, extra: Buffer = Buffer.alloc(0)) => {
    raw.send(frame(T.HEADERS, F.END_HEADERS, id, Buffer.concat([block(grpcRequest()), extra])), frame(T.DATA, F.END_STREAM, id, echoMessage()));
  };

  it("a header list that decodes past SETTINGS_MAX_HEADER_LIST_SIZE: 431 on its stream, the connection goes on", async () => {
    const raw = await RawH2.open(f.port);
    const bomb = bytes(0x40, 0x05, Buffer.from("x-big"), hpackInt(4000, 7, 0), Buffer.alloc(4000, 0x61), new Array<number>(100).fill(0xbe));
    call(raw, 1, bomb);
    await raw.until(() => raw.status(1) !== undefined, "an answer to the bomb");
    expect(raw.status(1)).toBe("431");
    // the dynamic table holds x-big now: a call that refers to it once is served
    call(raw, 3, bytes(0xbe));
    await raw.until(() => raw.grpcStatus(3) !== undefined, "the next call");
    expect(raw.grpcStatus(3)).toBe("0");
    expect(raw.goaway).toBeUndefined();
    raw.close();
  });

  it("undecodable blocks are COMPRESSION_ERROR for the connection", async () => {
    const attacks: [string, Buffer][] = [
      ["a NaN table size", bytes(0x3f, new Array<number>(200).fill(0x80), 0x00)],
      ["a table size update after a field", Buffer.concat([block(grpcRequest()), bytes(0x20)])],
      ["a table size past our setting", Buffer.from(hpackInt(8192, 5, 0x20))],
      ["an index past the table", bytes(0xff, 0x80, 0x01)],
      ["Huffman EOS", bytes(0x00, 0x01, 0x61, 0x84, 0xff, 0xff, 0xff, 0xff)],
      ["a string past the block", bytes(0x00, 0x7f, 0x80, 0x01, 0x61)],
    ];
    for (const [what, attack] of attacks) {
      const raw = await RawH2.open(f.port);
      raw.send(frame(T.HEADERS, F.END_HEADERS, 1, attack));
      const goaway = await raw.goawayAndClose().catch((error: Error) => {
        throw new Error(`${what}: ${error.message}`);
      });
      expect(goaway.code, what).toBe(E.COMPRESSION_ERROR);
    }
  });
});
