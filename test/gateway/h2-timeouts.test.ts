// Slowloris and stalls against the edge's own HTTP/2: a client that says nothing, never
// acknowledges our SETTINGS, idles, or never reads, with small configured timeouts; and the
// bytes the edge queues for a client, capped per stream and per connection. Every wait is on a
// condition (a close, a GOAWAY) with its own deadline.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPUTE_PROTO } from "./fixture.js";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";
import { waitFor } from "../helpers/wait-for.js";
import { block, data, E, echoMessage, F, frame, grpcRequest, ping, PREFACE, RawH2, settings, T } from "./h2-raw.js";

const TIMEOUT_MS = 300;

describe("the edge's HTTP/2 against slow and silent clients", () => {
  let f: EdgeFixture;
  beforeAll(async () => {
    f = await startEdge({
      gateway: { protoFiles: [COMPUTE_PROTO] },
      http2: {
        idleTimeoutMs: TIMEOUT_MS,
        settingsTimeoutMs: TIMEOUT_MS,
        maxSocketBufferBytes: 256 * 1024,
        maxStreamBufferBytes: 64 * 1024,
        maxConnectionBufferBytes: 256 * 1024,
      },
    });
    await f.agent("worker");
  });
  afterAll(() => f.close());

  it("a connection that sends nothing at all is closed (before the protocol is known: the SETTINGS timeout)", async () => {
    const socket = connect(f.port, "127.0.0.1");
    socket.on("error", () => undefined);
    let closed = false;
    socket.on("close", () => (closed = true));
    await waitFor(() => closed, { what: "the edge to close a silent connection", timeoutMs: 10 * TIMEOUT_MS });
  });

  it("a client that never acknowledges our SETTINGS gets GOAWAY SETTINGS_TIMEOUT", async () => {
    const raw = await RawH2.open(f.port, { ack: false });
    // it keeps talking (so the connection is not idle), it just never ACKs
    const timer = setInterval(() => raw.send(ping()), TIMEOUT_MS / 4);
    try {
      expect((await raw.goawayAndClose(10 * TIMEOUT_MS)).code).toBe(E.SETTINGS_TIMEOUT);
    } finally {
      clearInterval(timer);
    }
  });

  it("a preface and then silence: closed by the SETTINGS timeout", async () => {
    const raw = await RawH2.open(f.port, { preface: false });
    raw.send(PREFACE);
    await raw.goawayAndClose(10 * TIMEOUT_MS);
  });

  it("an idle connection (no streams, nothing sent) gets GOAWAY NO_ERROR; one waiting on a call in progress stays", async () => {
    const idle = await RawH2.open(f.port);
    const waiting = await RawH2.open(f.port);
    waiting.request(1, grpcRequest("/swarm.examples.v1.ComputeService/Fibonacci", [["x-hang", "1"]]));
    waiting.send(frame(T.DATA, F.END_STREAM, 1, Buffer.from([0, 0, 0, 0, 2, 8, 1])));
    const goaway = await idle.goawayAndClose(10 * TIMEOUT_MS);
    expect(goaway.code).toBe(E.NO_ERROR);
    await waiting.roundTrip();
    expect(waiting.closed).toBe(false);
    waiting.close();
  });

  it("slowloris: PINGs, or a frame trickled a byte at a time, do not keep a connection without streams past idleTimeoutMs", async () => {
    const pinging = await RawH2.open(f.port);
    const trickling = await RawH2.open(f.port);
    const headers = frame(T.HEADERS, F.END_HEADERS, 1, block(grpcRequest()));
    let sent = 0;
    const timer = setInterval(() => {
      pinging.send(ping());
      if (sent < headers.length - 1) trickling.send(headers.subarray(sent, ++sent));
    }, TIMEOUT_MS / 10);
    try {
      expect((await pinging.goawayAndClose(10 * TIMEOUT_MS)).code).toBe(E.NO_ERROR);
      expect((await trickling.goawayAndClose(10 * TIMEOUT_MS)).code).toBe(E.NO_ERROR);
    } finally {
      clearInterval(timer);
    }
  });

  it("a preface trickled a byte at a time: closed when the protocol is still unknown at the first-bytes deadline", async () => {
    const socket = connect(f.port, "127.0.0.1");
    socket.on("error", () => undefined);
    let closed = false;
    socket.on("close", () => (closed = true));
    let sent = 0;
    // slower than the deadline in all, each byte well within the socket's inactivity timeout
    const timer = setInterval(() => socket.write(PREFACE.subarray(sent, Math.min(++sent, PREFACE.length - 1))), TIMEOUT_MS / 6);
    try {
      await waitFor(() => closed, { what: "the edge to close a connection trickling its preface", timeoutMs: 3 * TIMEOUT_MS });
    } finally {
      clearInterval(timer);
      socket.destroy();
    }
  });

  it("a client that never reads: the edge stops reading it once its socket holds the cap, holds no more, and closes it", async () => {
    const raw = await RawH2.open(f.port);
    raw.socket.pause();
    // requests answered at once (no such service): each answer is bytes for a client that takes none
    const unknown = block(grpcRequest("/no.such.Service/Method"));
    let id = 1;
    let held = 0;
    const deadline = performance.now() + 10_000;
    while (!raw.closed && raw.socket.writableLength < 1024 * 1024 && performance.now() < deadline) {
      const frames: Buffer[] = [];
      // in large batches (below maxConcurrentStreams), so the client's buffer fills fast
      for (let i = 0; i < 400; i++, id += 2) frames.push(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, id, unknown));
      raw.send(...frames);
      held = Math.max(held, f.http.bufferedBytes);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // the edge stopped reading: what the client writes stays in its own socket; or, on a loaded
    // machine, the edge closed it (idleTimeoutMs after it stopped reading) before the kernel's
    // buffers (megabytes on loopback) had filled. Either way it held about its cap.
    expect(raw.closed || raw.socket.writableLength >= 1024 * 1024, `${id >> 1} requests sent`).toBe(true);
    // the cap, and the answers to the last read (up to 64 KiB of requests, answered in one turn)
    expect(held).toBeLessThan(256 * 1024 + 128 * 1024);
    await raw.until(() => raw.closed, "the edge to close a client that neither reads nor sends", 10 * TIMEOUT_MS);
  });

  it("a stream whose response waits past its cap (the client's window stays shut) is reset", async () => {
    const raw = await RawH2.open(f.port);
    raw.send(settings([[0x4, 0]]));
    raw.request(1, grpcRequest());
    raw.send(data(1, echoMessage(Buffer.alloc(100 * 1024, 1))));
    await raw.until(() => raw.resets().has(1), "stream 1 reset");
    expect(raw.resets().get(1)).toBe(E.ENHANCE_YOUR_CALM);
    expect(raw.goaway).toBeUndefined();
    raw.close();
  });

  it("a connection holding more than its cap for a client that does not read gets GOAWAY ENHANCE_YOUR_CALM", async () => {
    const raw = await RawH2.open(f.port);
    raw.send(settings([[0x4, 0]]));
    for (const id of [1, 3, 5, 7, 9, 11]) {
      raw.request(id, grpcRequest());
      raw.send(data(id, echoMessage(Buffer.alloc(60 * 1024, 1))));
    }
    expect((await raw.goawayAndClose()).code).toBe(E.ENHANCE_YOUR_CALM);
  });
});
