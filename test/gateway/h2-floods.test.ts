// Floods against the edge's own HTTP/2, over raw sockets: rapid reset (CVE-2023-44487),
// CONTINUATION floods (CVE-2024-27316 family), SETTINGS and PING floods, empty frames. Each is
// answered with GOAWAY ENHANCE_YOUR_CALM past its bound, and a well-behaved client on another
// connection is served throughout.
import { connect, type ClientHttp2Session } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPUTE_PROTO } from "./fixture.js";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";
import { block, E, echoMessage, F, frame, grpcRequest, ping, RawH2, rst, settings, T } from "./h2-raw.js";

const RESET_BURST = 50;

/** One gRPC Echo over node:http2: the well-behaved client beside the attacks. */
function echo(session: ClientHttp2Session): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": "/swarm.examples.v1.ComputeService/Echo", "content-type": "application/grpc", te: "trailers" });
    let bytes = 0;
    stream.on("data", (chunk: Buffer) => (bytes += chunk.length));
    stream.on("trailers", (trailers) => (trailers["grpc-status"] === "0" ? resolve(bytes) : reject(new Error(`grpc-status ${String(trailers["grpc-status"])}`))));
    stream.on("error", reject);
    stream.end(echoMessage());
  });
}

describe("the edge's HTTP/2 under floods", () => {
  let f: EdgeFixture;
  let good: ClientHttp2Session;
  beforeAll(async () => {
    f = await startEdge({ gateway: { protoFiles: [COMPUTE_PROTO] }, http2: { maxResetBurst: RESET_BURST, maxResetsPerSecond: 10 } });
    await f.agent("worker");
    good = connect(f.baseUrl);
  });
  afterAll(async () => {
    good.close();
    await f.close();
  });

  it("rapid reset: HEADERS + RST_STREAM churn past the burst is GOAWAY ENHANCE_YOUR_CALM, having handed on only the burst", async () => {
    const raw = await RawH2.open(f.port);
    const request = block(grpcRequest());
    // 2,000 streams opened and reset at once, far past the burst of 50
    for (let batch = 0; batch < 20 && !raw.closed; batch++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < 100; i++) {
        const id = 1 + 2 * (batch * 100 + i);
        frames.push(frame(T.HEADERS, F.END_HEADERS, id, request), rst(id, E.CANCEL));
      }
      raw.send(...frames);
    }
    const goaway = await raw.goawayAndClose();
    expect(goaway.code).toBe(E.ENHANCE_YOUR_CALM);
    // the last stream the edge took is within the burst (and what refilled meanwhile)
    expect(goaway.lastStreamId).toBeLessThan(2 * (RESET_BURST + 20) + 1);
    expect(await echo(good)).toBeGreaterThan(0);
  });

  it("a client that cancels a few calls now and then is not taken for a flood", async () => {
    const raw = await RawH2.open(f.port);
    for (let i = 0; i < RESET_BURST / 2; i++) {
      const id = 1 + 2 * i;
      raw.send(frame(T.HEADERS, F.END_HEADERS, id, block(grpcRequest())), rst(id, E.CANCEL));
    }
    await raw.roundTrip();
    raw.request(1001, grpcRequest());
    raw.send(frame(T.DATA, F.END_STREAM, 1001, echoMessage()));
    await raw.until(() => raw.grpcStatus(1001) !== undefined, "the call after the cancels to be answered");
    expect(raw.grpcStatus(1001)).toBe("0");
    expect(raw.goaway).toBeUndefined();
    raw.close();
  });

  it("CONTINUATION flood of empty frames: bounded by frame count before decoding, GOAWAY", async () => {
    const raw = await RawH2.open(f.port);
    raw.send(frame(T.HEADERS, 0, 1, block(grpcRequest())));
    const empty = frame(T.CONTINUATION, 0, 1);
    const burst = Buffer.concat(Array.from({ length: 5000 }, () => empty));
    for (let i = 0; i < 20 && !raw.closed; i++) raw.send(burst);
    const goaway = await raw.goawayAndClose();
    expect(goaway.code).toBe(E.ENHANCE_YOUR_CALM);
    expect(await echo(good)).toBeGreaterThan(0);
  });

  it("CONTINUATION flood of bytes: the header block is bounded before decoding, GOAWAY", async () => {
    const raw = await RawH2.open(f.port);
    raw.send(frame(T.HEADERS, 0, 1, block(grpcRequest())));
    const chunk = frame(T.CONTINUATION, 0, 1, block([["x-pad", "a".repeat(16_000)]]));
    for (let i = 0; i < 100 && !raw.closed; i++) raw.send(chunk);
    expect((await raw.goawayAndClose()).code).toBe(E.ENHANCE_YOUR_CALM);
  });

  it("SETTINGS flood: past 1,000 ACKs owed at once, GOAWAY ENHANCE_YOUR_CALM", async () => {
    const raw = await RawH2.open(f.port);
    const flood = Buffer.concat(Array.from({ length: 20_000 }, () => settings([[0x3, 100]])));
    raw.send(flood);
    expect((await raw.goawayAndClose()).code).toBe(E.ENHANCE_YOUR_CALM);
    expect(raw.frames.filter((x) => x.type === T.SETTINGS && x.flags & F.ACK).length).toBeLessThanOrEqual(1001);
  });

  it("PING flood: past 1,000 ACKs owed at once, GOAWAY ENHANCE_YOUR_CALM", async () => {
    const raw = await RawH2.open(f.port);
    raw.send(Buffer.concat(Array.from({ length: 20_000 }, () => ping())));
    expect((await raw.goawayAndClose()).code).toBe(E.ENHANCE_YOUR_CALM);
    expect(raw.frames.filter((x) => x.type === T.PING).length).toBeLessThanOrEqual(1001);
    expect(await echo(good)).toBeGreaterThan(0);
  });

  it("INITIAL_WINDOW_SIZE churn while streams are open (each change walks every stream) counts as churn, even from a client that reads its ACKs", async () => {
    const raw = await RawH2.open(f.port);
    const request = block(grpcRequest("/swarm.examples.v1.ComputeService/Fibonacci", [["x-hang", "1"]]));
    for (let id = 1; id <= 99; id += 2) raw.send(frame(T.HEADERS, F.END_HEADERS, id, request));
    const churn = Buffer.concat(Array.from({ length: 500 }, (_, i) => settings([[0x4, 65_535 + (i % 2)]])));
    // in batches the edge acknowledges before the next, so the ACKs owed never reach their own bound
    for (let sent = 500; sent <= RESET_BURST + 1000 && !raw.closed; sent += 500) {
      raw.send(churn);
      await raw.until(() => raw.closed || raw.frames.filter((x) => x.type === T.SETTINGS && (x.flags & F.ACK) !== 0).length >= sent, "the ACKs of what was sent");
    }
    expect((await raw.goawayAndClose()).code).toBe(E.ENHANCE_YOUR_CALM);
  });

  it("a client that PINGs and reads the answers is served (keepalive, BDP probes)", async () => {
    const raw = await RawH2.open(f.port);
    for (let i = 0; i < 50; i++) await raw.roundTrip();
    expect(raw.goaway).toBeUndefined();
    raw.close();
  });

  it("a flood of empty DATA frames (no END_STREAM) counts as churn: GOAWAY ENHANCE_YOUR_CALM", async () => {
    const raw = await RawH2.open(f.port);
    raw.request(1, grpcRequest("/swarm.examples.v1.ComputeService/Fibonacci", [["x-hang", "1"]]));
    const empty = frame(T.DATA, 0, 1);
    raw.send(Buffer.concat(Array.from({ length: 5000 }, () => empty)));
    expect((await raw.goawayAndClose()).code).toBe(E.ENHANCE_YOUR_CALM);
  });

  it("empty DATA frames dressed as padding, or sent on a finished stream, count as churn too", async () => {
    const raw = await RawH2.open(f.port);
    raw.request(1, grpcRequest("/swarm.examples.v1.ComputeService/Fibonacci", [["x-hang", "1"]]));
    const paddedOnly = frame(T.DATA, F.PADDED, 1, Buffer.from([0]));
    raw.send(Buffer.concat(Array.from({ length: 5000 }, () => paddedOnly)));
    expect((await raw.goawayAndClose()).code).toBe(E.ENHANCE_YOUR_CALM);

    const late = await RawH2.open(f.port);
    late.request(1, grpcRequest("/swarm.examples.v1.ComputeService/Echo"));
    late.send(frame(T.DATA, F.END_STREAM, 1, echoMessage()));
    await late.until(() => late.grpcStatus(1) !== undefined, "the Echo call's answer");
    const empty = frame(T.DATA, 0, 1);
    late.send(Buffer.concat(Array.from({ length: 5000 }, () => empty)));
    expect((await late.goawayAndClose()).code).toBe(E.ENHANCE_YOUR_CALM);
  });
});
