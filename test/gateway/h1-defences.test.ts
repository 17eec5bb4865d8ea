// The edge's own HTTP/1.1 against hostile clients, over raw sockets: head size and field count,
// slowloris (a head or a body trickled), request smuggling (Transfer-Encoding with
// Content-Length, obs-fold, duplicate or odd Content-Length, bad chunk sizes, Host), pipelining
// past its bound, idle keep-alive, and bodies declared larger than the bound. Waits are on
// conditions (a close, an answer), each with its own deadline.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPUTE_PROTO } from "./fixture.js";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";
import { waitFor } from "../helpers/wait-for.js";

const TIMEOUT_MS = 300;
const FIBONACCI = "/swarm.examples.v1.ComputeService/Fibonacci";

/** A raw HTTP/1.1 connection: what the edge sent, and whether it closed. */
class RawH1 {
  readonly socket: Socket;
  text = "";
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (this.text += chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => (this.closed = true));
  }

  static async open(port: number): Promise<RawH1> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new RawH1(socket);
  }

  send(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text, "latin1");
  }

  /** Status codes of the answers so far. */
  get statuses(): number[] {
    return [...this.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  }

  async closedWith(timeoutMs = 5000): Promise<number[]> {
    await waitFor(() => this.closed, { what: `the edge to close the connection (so far: ${JSON.stringify(this.text.slice(0, 200))})`, timeoutMs });
    return this.statuses;
  }
}

const request = (path: string, body: string, extra = ""): string =>
  `POST ${path} HTTP/1.1\r\nhost: edge\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe("the edge's HTTP/1.1 against hostile clients", () => {
  let f: EdgeFixture;
  beforeAll(async () => {
    f = await startEdge({
      gateway: { protoFiles: [COMPUTE_PROTO] },
      http1: { maxHeadBytes: 8 * 1024, maxHeaderCount: 20, headersTimeoutMs: TIMEOUT_MS, requestTimeoutMs: 2 * TIMEOUT_MS, idleTimeoutMs: TIMEOUT_MS, stallTimeoutMs: TIMEOUT_MS, maxPipelinedRequests: 4, maxBodyBytes: 1024 * 1024 },
    });
    await f.agent("worker");
  });
  afterAll(() => f.close());

  it("a head past maxHeadBytes, or with more fields than maxHeaderCount: 431, closed", async () => {
    const big = await RawH1.open(f.port);
    big.send(`GET /healthz HTTP/1.1\r\nhost: edge\r\nx-big: ${"a".repeat(9000)}\r\n\r\n`);
    expect(await big.closedWith()).toEqual([431]);
    const many = await RawH1.open(f.port);
    many.send(`GET /healthz HTTP/1.1\r\nhost: edge\r\n${Array.from({ length: 25 }, (_, i) => `x-${i}: 1\r\n`).join("")}\r\n`);
    expect(await many.closedWith()).toEqual([431]);
  });

  it("slowloris: a head trickled a byte at a time is answered 408 after headersTimeoutMs", async () => {
    const raw = await RawH1.open(f.port);
    const head = `GET /healthz HTTP/1.1\r\nhost: edge\r\n${"x-slow: 1\r\n".repeat(100)}\r\n`;
    let at = 0;
    const timer = setInterval(() => raw.send(head[at++ % head.length]!), 20);
    try {
      expect(await raw.closedWith(10 * TIMEOUT_MS)).toEqual([408]);
    } finally {
      clearInterval(timer);
    }
  });

  it("a body trickled slower than requestTimeoutMs allows: 408, closed, the call cancelled", async () => {
    const raw = await RawH1.open(f.port);
    raw.send(`POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"n":`);
    const timer = setInterval(() => raw.send(" "), 20);
    try {
      expect(await raw.closedWith(10 * TIMEOUT_MS)).toEqual([408]);
    } finally {
      clearInterval(timer);
    }
  });

  it("request smuggling: framing the edge and node could read two ways is refused, and nothing after it is read", async () => {
    const smuggled = `GET /healthz HTTP/1.1\r\nhost: edge\r\n\r\n`;
    const cases: [string, string, number][] = [
      ["transfer-encoding with content-length", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
      ["obs-fold", `GET /healthz HTTP/1.1\r\nhost: edge\r\nx-a: 1\r\n  folded\r\n\r\n`, 400],
      ["content-length twice, the same", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{}`, 400],
      ["content-length as a list", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-length: 2, 2\r\n\r\n{}`, 400],
      ["content-length with a sign", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-length: +2\r\n\r\n{}`, 400],
      ["whitespace before the colon", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-length : 2\r\n\r\n{}`, 400],
      ["no host", `GET /healthz HTTP/1.1\r\n\r\n`, 400],
      ["host twice", `GET /healthz HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n`, 400],
      ["a control character in a value", `GET /healthz HTTP/1.1\r\nhost: edge\r\nx-a: a\x01b\r\n\r\n`, 400],
      ["a bare LF inside the head", `GET /healthz HTTP/1.1\r\nhost: edge\nx-a: 1\r\n\r\n`, 400],
      ["chunked not last", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ntransfer-encoding: chunked, gzip\r\n\r\n`, 400],
      ["a coding the edge cannot read", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ntransfer-encoding: gzip, chunked\r\n\r\n`, 501],
      ["an invalid chunk size", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400],
      ["a chunk size past 2^64", `POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffffff\r\n`, 400],
      ["a control character in the target", `GET /healthz\x01 HTTP/1.1\r\nhost: edge\r\n\r\n`, 400],
      ["a target that is not ASCII", `GET /healthz\xe9 HTTP/1.1\r\nhost: edge\r\n\r\n`, 400],
      ["a host with userinfo", `GET /healthz HTTP/1.1\r\nhost: user@edge\r\n\r\n`, 400],
      ["a host with a space", `GET /healthz HTTP/1.1\r\nhost: ed ge\r\n\r\n`, 400],
    ];
    for (const [what, attack, status] of cases) {
      const raw = await RawH1.open(f.port);
      raw.send(attack + smuggled);
      expect(await raw.closedWith(), what).toEqual([status]);
    }
  });

  it("pipelining: at most maxPipelinedRequests calls in progress for one connection; every request answered, in order", async () => {
    const raw = await RawH1.open(f.port);
    const count = 24;
    let text = "";
    for (let i = 0; i < count; i++) text += request(FIBONACCI, `{"n":${i}}`, "x-hang: 1\r\nconnect-timeout-ms: 100\r\n");
    raw.send(text);
    let maxInFlight = 0;
    await waitFor(
      () => {
        maxInFlight = Math.max(maxInFlight, f.http.gateway!.inFlight);
        return raw.statuses.length === count;
      },
      { what: `${count} answers`, timeoutMs: 15_000 },
    );
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(raw.statuses).toEqual(new Array<number>(count).fill(504));
    raw.socket.destroy();
  });

  it("a client that never reads its answers: the edge stops reading it, and cuts it after stallTimeoutMs", async () => {
    const raw = await RawH1.open(f.port);
    raw.socket.pause();
    // large answers, cheap to make (binary Connect: the edge passes the bytes through), so that a
    // few calls fill the socket buffers on both sides (megabytes on loopback)
    const payload = 512 * 1024;
    const message = Buffer.concat([Buffer.from([0x0a, 0x80, 0x80, 0x20]), Buffer.alloc(payload, 1)]); // EchoRequest{payload}: field 1, length 2^19
    const echo = `POST /swarm.examples.v1.ComputeService/Echo HTTP/1.1\r\nhost: edge\r\ncontent-type: application/proto\r\ncontent-length: ${message.length}\r\n\r\n${message.toString("latin1")}`;
    // pipelined requests, kept piling up in the client's own socket (the edge stops reading them):
    // the answers fill the buffers at the pace of the agent's calls, then nothing moves for
    // stallTimeoutMs. The pile also lets the paused client learn of the close: its writes fail.
    let piled = 0;
    await waitFor(
      () => {
        if (!raw.closed && raw.socket.writableLength < 1024 * 1024) raw.send(echo);
        piled = Math.max(piled, raw.socket.writableLength);
        return raw.closed;
      },
      { what: "the edge to cut a client that never reads", timeoutMs: 15_000 },
    );
    expect(piled).toBeGreaterThanOrEqual(1024 * 1024);
  });

  it("an idle keep-alive connection is closed after idleTimeoutMs", async () => {
    const raw = await RawH1.open(f.port);
    raw.send(`GET /healthz/live HTTP/1.1\r\nhost: edge\r\n\r\n`);
    expect(await raw.closedWith(10 * TIMEOUT_MS)).toHaveLength(1);
  });

  it("a body declared past maxBodyBytes is answered 413 before any of it is read", async () => {
    const raw = await RawH1.open(f.port);
    raw.send(`POST ${FIBONACCI} HTTP/1.1\r\nhost: edge\r\ncontent-type: application/json\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n`);
    expect(await raw.closedWith()).toEqual([413]);
  });

  it("an upgrade to h2c is ignored: the request is answered in HTTP/1.1 and the connection stays", async () => {
    const raw = await RawH1.open(f.port);
    const upgrade = "connection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAARAAAAAAAIAAAAA\r\n";
    raw.send(request(FIBONACCI, `{"n":5}`, upgrade));
    await waitFor(() => raw.statuses.length === 1, { what: "an answer to the first request" });
    raw.send(request(FIBONACCI, `{"n":6}`, upgrade));
    await waitFor(() => raw.statuses.length === 2, { what: "an answer to the second" });
    expect(raw.statuses).toEqual([200, 200]);
    expect(raw.text).not.toContain("101 Switching");
    expect(raw.closed).toBe(false);
    raw.socket.destroy();
  });

  it("a well-behaved keep-alive client is served request after request", async () => {
    const raw = await RawH1.open(f.port);
    for (let i = 1; i <= 5; i++) {
      raw.send(request(FIBONACCI, `{"n":${i}}`));
      await waitFor(() => raw.statuses.length === i, { what: `answer ${i}` });
    }
    expect(raw.statuses).toEqual([200, 200, 200, 200, 200]);
    raw.socket.destroy();
  });
});
