// Frames a client may not send, or not there, against the edge's own HTTP/2: each answered with
// RFC 9113's error — a stream error (RST_STREAM) where only that stream is wrong, a connection
// error (GOAWAY) otherwise — and never a crash, a hang, or a connection left in a bad state.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPUTE_PROTO } from "./fixture.js";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";
import { block, E, echoMessage, F, frame, grpcRequest, PREFACE, RawH2, rst, settings, T, u32, windowUpdate } from "./h2-raw.js";

const HANG = grpcRequest("/swarm.examples.v1.ComputeService/Fibonacci", [["x-hang", "1"]]);

/** Opens a connection, runs `attack`, and expects GOAWAY with `code`. */
async function expectGoaway(f: EdgeFixture, code: number, attack: (raw: RawH2) => void | Promise<void>): Promise<void> {
  const raw = await RawH2.open(f.port);
  await attack(raw);
  const goaway = await raw.goawayAndClose();
  expect(goaway.code, goaway.debug).toBe(code);
}

/** Opens a connection, runs `attack`, expects RST_STREAM `code` on `streamId`, and that the connection still serves a call. */
async function expectReset(f: EdgeFixture, streamId: number, code: number, attack: (raw: RawH2) => void | Promise<void>): Promise<void> {
  const raw = await RawH2.open(f.port);
  await attack(raw);
  await raw.until(() => raw.resets().has(streamId) || raw.closed, `RST_STREAM on stream ${streamId}`);
  expect(raw.goaway?.debug).toBeUndefined();
  expect(raw.resets().get(streamId)).toBe(code);
  raw.request(101, grpcRequest());
  raw.send(frame(T.DATA, F.END_STREAM, 101, echoMessage()));
  await raw.until(() => raw.grpcStatus(101) !== undefined, "a call after the stream error");
  expect(raw.grpcStatus(101)).toBe("0");
  raw.close();
}

describe("the edge's HTTP/2 answers bad frames with RFC 9113's errors", () => {
  let f: EdgeFixture;
  beforeAll(async () => {
    f = await startEdge({ gateway: { protoFiles: [COMPUTE_PROTO] }, http2: { maxConcurrentStreams: 4 } });
    await f.agent("worker");
  });
  afterAll(() => f.close());

  it("the first frame after the preface must be SETTINGS", async () => {
    const raw = await RawH2.open(f.port, { preface: false });
    raw.send(PREFACE, ping());
    expect((await raw.goawayAndClose()).code).toBe(E.PROTOCOL_ERROR);
  });

  it("streams: DATA, RST_STREAM and WINDOW_UPDATE on idle streams; decreasing and even ids", async () => {
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.DATA, 0, 7, Buffer.from("x"))));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(rst(9, E.CANCEL)));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(windowUpdate(11, 100)));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => {
      raw.request(5, HANG);
      raw.request(3, HANG);
    });
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => {
      raw.request(5, HANG);
      raw.send(frame(T.DATA, 0, 2, Buffer.from("x")));
    });
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.request(2, HANG));
  });

  it("MAX_CONCURRENT_STREAMS: a stream past it is refused, the others go on", async () => {
    const raw = await RawH2.open(f.port);
    for (const id of [1, 3, 5, 7, 9]) raw.request(id, HANG);
    await raw.until(() => raw.resets().has(9), "stream 9 refused");
    expect(raw.resets().get(9)).toBe(E.REFUSED_STREAM);
    expect([1, 3, 5, 7].some((id) => raw.resets().has(id))).toBe(false);
    raw.close();
  });

  it("DATA or HEADERS after END_STREAM is a stream error STREAM_CLOSED", async () => {
    await expectReset(f, 1, E.STREAM_CLOSED, async (raw) => {
      raw.request(1, HANG);
      raw.send(frame(T.DATA, F.END_STREAM, 1, Buffer.from([0, 0, 0, 0, 2, 8, 1])));
      await raw.roundTrip();
      raw.send(frame(T.DATA, 0, 1, Buffer.from("late")));
    });
    await expectReset(f, 3, E.STREAM_CLOSED, async (raw) => {
      raw.request(3, HANG);
      raw.send(frame(T.DATA, F.END_STREAM, 3, Buffer.from([0, 0, 0, 0, 2, 8, 1])));
      await raw.roundTrip();
      raw.send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, 3, block([["x-late", "1"]])));
    });
  });

  it("trailers racing the edge's own RST_STREAM on a finished call are discarded, not a connection error", async () => {
    const raw = await RawH2.open(f.port);
    // a call the edge refuses at once (no such service): it answers and resets the stream while the client still sends
    raw.request(1, grpcRequest("/no.such.Service/Method"));
    raw.send(frame(T.DATA, 0, 1, echoMessage()));
    await raw.until(() => raw.grpcStatus(1) !== undefined && raw.resets().has(1), "the answer and the edge's RST_STREAM");
    expect(raw.resets().get(1)).toBe(E.NO_ERROR);
    raw.send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, 1, block([["x-trailer", "1"]])), frame(T.DATA, F.END_STREAM, 1, Buffer.from("x")));
    await raw.roundTrip();
    expect(raw.goaway).toBeUndefined();
    raw.close();
  });

  it("frames too large, too small or of the wrong size", async () => {
    await expectGoaway(f, E.FRAME_SIZE_ERROR, (raw) => raw.send(frame(T.DATA, 0, 1, Buffer.alloc(16_385))));
    await expectGoaway(f, E.FRAME_SIZE_ERROR, (raw) => raw.send(frame(T.RST_STREAM, 0, 1, Buffer.alloc(3))));
    await expectGoaway(f, E.FRAME_SIZE_ERROR, (raw) => raw.send(frame(T.SETTINGS, F.ACK, 0, Buffer.alloc(6))));
    await expectGoaway(f, E.FRAME_SIZE_ERROR, (raw) => raw.send(frame(T.SETTINGS, 0, 0, Buffer.alloc(5))));
    await expectGoaway(f, E.FRAME_SIZE_ERROR, (raw) => raw.send(frame(T.PING, 0, 0, Buffer.alloc(7))));
    await expectGoaway(f, E.FRAME_SIZE_ERROR, (raw) => raw.send(frame(T.WINDOW_UPDATE, 0, 0, Buffer.alloc(5))));
    await expectGoaway(f, E.FRAME_SIZE_ERROR, (raw) => raw.send(frame(T.GOAWAY, 0, 0, Buffer.alloc(7))));
    // HEADERS with the PRIORITY flag and no room for its five bytes
    await expectGoaway(f, E.FRAME_SIZE_ERROR, (raw) => raw.send(frame(T.HEADERS, F.END_HEADERS | F.PRIORITY, 1, Buffer.alloc(3))));
  });

  it("control frames on a stream, stream frames on stream 0", async () => {
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.PING, 0, 1, Buffer.alloc(8))));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.SETTINGS, 0, 1)));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.GOAWAY, 0, 1, Buffer.alloc(8))));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.DATA, 0, 0, Buffer.from("x"))));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.HEADERS, F.END_HEADERS, 0, block(HANG))));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.PRIORITY, 0, 0, Buffer.alloc(5))));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.RST_STREAM, 0, 0, u32(0))));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.PUSH_PROMISE, F.END_HEADERS, 1, Buffer.alloc(4))));
  });

  it("padding longer than the frame, on DATA and on HEADERS", async () => {
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => {
      raw.request(1, HANG);
      raw.send(frame(T.DATA, F.PADDED, 1, Buffer.from([10, 1, 2])));
    });
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(frame(T.HEADERS, F.END_HEADERS | F.PADDED, 1, Buffer.concat([Buffer.from([200]), block(HANG)]))));
  });

  it("PRIORITY: ignored on any stream, even idle ones and in floods; a wrong size or a self-dependency is a stream error", async () => {
    const raw = await RawH2.open(f.port);
    const priority = (id: number, dependsOn: number) => frame(T.PRIORITY, 0, id, Buffer.concat([u32(dependsOn), Buffer.from([16])]));
    raw.send(Buffer.concat(Array.from({ length: 2000 }, (_, i) => priority(1001 + 2 * i, 1 + 2 * i))));
    raw.request(1, grpcRequest());
    raw.send(frame(T.DATA, F.END_STREAM, 1, echoMessage()));
    await raw.until(() => raw.grpcStatus(1) !== undefined, "a call after 2,000 PRIORITY frames");
    expect(raw.grpcStatus(1)).toBe("0");
    raw.close();
    await expectReset(f, 3, E.FRAME_SIZE_ERROR, (r) => r.send(frame(T.PRIORITY, 0, 3, Buffer.alloc(4))));
    await expectReset(f, 5, E.PROTOCOL_ERROR, (r) => r.send(priority(5, 5)));
    await expectReset(f, 7, E.PROTOCOL_ERROR, (r) => r.send(frame(T.HEADERS, F.END_HEADERS | F.PRIORITY, 7, Buffer.concat([u32(7), Buffer.from([16]), block(HANG)]))));
  });

  it("unknown frame types are ignored, but not inside a header block", async () => {
    const raw = await RawH2.open(f.port);
    raw.send(frame(0xfa, 0xff, 0, Buffer.alloc(100)), frame(0x20, 0, 3, Buffer.alloc(16_384)));
    await raw.roundTrip();
    expect(raw.goaway).toBeUndefined();
    raw.close();
    await expectGoaway(f, E.PROTOCOL_ERROR, (r) => r.send(frame(T.HEADERS, 0, 1, block(HANG)), frame(0xfa, 0, 0)));
  });

  it("WINDOW_UPDATE: past 2^31-1 on a stream or the connection, and an increment of 0", async () => {
    await expectReset(f, 1, E.FLOW_CONTROL_ERROR, (raw) => {
      raw.request(1, HANG);
      raw.send(windowUpdate(1, 0x7fffffff));
    });
    await expectReset(f, 3, E.PROTOCOL_ERROR, (raw) => {
      raw.request(3, HANG);
      raw.send(windowUpdate(3, 0));
    });
    await expectGoaway(f, E.FLOW_CONTROL_ERROR, (raw) => raw.send(windowUpdate(0, 0x7fffffff)));
    await expectGoaway(f, E.PROTOCOL_ERROR, (raw) => raw.send(windowUpdate(0, 0)));
    // SETTINGS_INITIAL_WINDOW_SIZE that takes an open stream's window past 2^31-1
    await expectGoaway(f, E.FLOW_CONTROL_ERROR, async (raw) => {
      raw.request(1, HANG);
      raw.send(windowUpdate(1, 0x7fffffff - 65_535));
      await raw.roundTrip();
      raw.send(settings([[0x4, 65_536]]));
    });
  });

  it("malformed requests (RFC 9113 §8.2, §8.3) are stream errors PROTOCOL_ERROR", async () => {
    const base = grpcRequest();
    const cases: [string, [string, string][]][] = [
      ["an upper-case name", [...base, ["X-Upper", "1"]]],
      ["a connection-specific field", [...base, ["connection", "keep-alive"]]],
      ["te other than trailers", [...base.filter(([n]) => n !== "te"), ["te", "gzip"]]],
      ["a pseudo-header after a regular field", [["content-type", "application/grpc"], ...base.filter(([n]) => n !== "content-type")]],
      ["an unknown pseudo-header", [...base.slice(0, 4), [":protocol", "x"], ...base.slice(4)]],
      ["a duplicated pseudo-header", [[":path", "/x"], ...base]],
      ["no :path", base.filter(([n]) => n !== ":path")],
      ["a value with CR LF", [...base, ["x-split", "a\r\nx-injected: 1"]]],
      ["a value with a leading space", [...base, ["x-space", " a"]]],
      ["an empty name", [...base, ["", "a"]]],
      ["a :method that is not a token", [[":method", "GET /admin"], ...base.slice(1)]],
      ["a :path with a space", base.map(([n, v]): [string, string] => (n === ":path" ? [n, `${v} HTTP/1.1`] : [n, v]))],
      ["a :path with a control character", base.map(([n, v]): [string, string] => (n === ":path" ? [n, `${v}\x01`] : [n, v]))],
      ["a :path with non-ASCII", base.map(([n, v]): [string, string] => (n === ":path" ? [n, `${v}\xe9`] : [n, v]))],
      ["a :scheme that is not one", base.map(([n, v]): [string, string] => (n === ":scheme" ? [n, "ht tp"] : [n, v]))],
      ["an :authority with userinfo", base.map(([n, v]): [string, string] => (n === ":authority" ? [n, "user@127.0.0.1"] : [n, v]))],
      ["an :authority with a path", base.map(([n, v]): [string, string] => (n === ":authority" ? [n, "127.0.0.1/x"] : [n, v]))],
      ["a host that is not the :authority", [...base, ["host", "elsewhere.example"]]],
    ];
    for (const [what, fields] of cases) {
      await expectReset(f, 1, E.PROTOCOL_ERROR, (raw) => raw.request(1, fields)).catch((error: Error) => {
        throw new Error(`${what}: ${error.message}`);
      });
    }
    // content-length that the DATA does not match
    await expectReset(f, 1, E.PROTOCOL_ERROR, (raw) => {
      raw.request(1, [...base, ["content-length", "3"]]);
      raw.send(frame(T.DATA, F.END_STREAM, 1, echoMessage()));
    });
  });

  it("a truncated frame and then silence or FIN neither crashes nor holds the edge", async () => {
    const raw = await RawH2.open(f.port);
    raw.send(frame(T.HEADERS, F.END_HEADERS, 1, block(HANG)).subarray(0, 20));
    raw.socket.end();
    await raw.until(() => raw.closed, "the edge to close a half-closed connection");
    const after = await RawH2.open(f.port);
    await after.roundTrip();
    after.close();
  });
});

function ping(): Buffer {
  return frame(T.PING, 0, 0, Buffer.alloc(8));
}
