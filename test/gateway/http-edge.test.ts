// The edge at the wire, with bare node:http / node:http2 / node:https clients: h2c with prior
// knowledge and TLS with ALPN on the hub's port, the edge's own port, gRPC's trailers-only and
// percent-encoded messages, gzip negotiation, gRPC-Web text, Connect streaming's end message,
// request-side flow control, and refusals that reach a client still sending its body.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect as netConnect } from "node:net";
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPRESSED, encodeFrame, FrameReader, TRAILERS } from "../../src/gateway/grpc-framing.js";
import { ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createDemux, createServer } from "../../src/index.js";
import { createHubHttp, WebSocketTransport } from "../../src/node.js";
import { EchoRequest, EchoResponse, FibonacciRequest, FibonacciResponse } from "../../generated/swarm/examples/v1/compute.js";
import { STREAM_WINDOW } from "../../src/rpc/stream-inbox.js";
import { waitFor } from "../helpers/wait-for.js";
import { recordingService, startEdge, type EdgeFixture } from "./edge-fixture.js";
import { COMPUTE_PROTO } from "./fixture.js";

const FIBONACCI = "/swarm.examples.v1.ComputeService/Fibonacci";
const ECHO = "/swarm.examples.v1.ComputeService/Echo";

interface H2Answer {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  frames: { flags: number; data: Uint8Array }[];
}

/** One gRPC call over a bare HTTP/2 session. */
function h2call(session: ClientHttp2Session, path: string, messages: Uint8Array[], headers: Record<string, string> = {}): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    const reader = new FrameReader(64 << 20);
    const answer: H2Answer = { headers: {}, trailers: {}, frames: [] };
    stream.on("response", (h) => (answer.headers = h));
    stream.on("trailers", (t) => (answer.trailers = t));
    stream.on("data", (chunk: Buffer) => answer.frames.push(...reader.push(chunk)));
    stream.on("end", () => resolve(answer));
    stream.on("error", reject);
    for (const message of messages) stream.write(encodeFrame(0, message));
    stream.end();
  });
}

/** An HTTP/1.1 POST; resolves with status, headers and body. */
function post(url: string, body: Buffer | string, headers: Record<string, string>, secure?: { ca: string }): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const send = secure === undefined ? httpRequest : httpsRequest;
    const req = send(url, { method: "POST", headers, ...(secure ?? {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("the edge on the wire (h2c, HTTP/1.1)", () => {
  let f: EdgeFixture;
  let session: ClientHttp2Session;
  beforeAll(async () => {
    f = await startEdge();
    await f.agent("worker");
    session = connect(f.baseUrl); // cleartext HTTP/2 with prior knowledge, like curl --http2-prior-knowledge
  });
  afterAll(async () => {
    session.close();
    await f.close();
  });

  it("answers gRPC over h2c with the message and grpc-status 0 in the trailers", async () => {
    const answer = await h2call(session, FIBONACCI, [FibonacciRequest.encode({ n: 12 }).finish()]);
    expect(answer.headers[":status"]).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/grpc");
    expect(answer.frames).toHaveLength(1);
    expect(FibonacciResponse.decode(answer.frames[0]!.data).value).toBe(144);
    expect(answer.trailers["grpc-status"]).toBe("0");
  });

  it("fails early with trailers-only: the status in the headers, percent-encoded, no body", async () => {
    const answer = await h2call(session, "/swarm.examples.v1.NoneService/Nope", [new Uint8Array(0)]);
    expect(answer.headers["grpc-status"]).toBe("12");
    expect(answer.frames).toHaveLength(0);
    const failed = await h2call(session, FIBONACCI, [FibonacciRequest.encode({ n: 1 }).finish()], { "x-fail": "9" });
    expect(failed.trailers["grpc-status"] ?? failed.headers["grpc-status"]).toBe("9");
    expect(failed.trailers["grpc-message"] ?? failed.headers["grpc-message"]).toBe("failed on purpose: %C3%BC %25 9");
    const badTimeout = await h2call(session, FIBONACCI, [new Uint8Array(0)], { "grpc-timeout": "soon" });
    expect(badTimeout.headers["grpc-status"]).toBe("3");
  });

  it("gzips a large response for a client that accepts gzip, and reads a gzip'd request", async () => {
    const payload = Buffer.alloc(64 * 1024, "abc");
    const { gzipSync } = await import("node:zlib");
    const request = gzipSync(EchoRequest.encode({ payload }).finish());
    const answer = await new Promise<H2Answer>((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": ECHO, "content-type": "application/grpc", te: "trailers", "grpc-encoding": "gzip", "grpc-accept-encoding": "gzip" });
      const reader = new FrameReader(64 << 20);
      const result: H2Answer = { headers: {}, trailers: {}, frames: [] };
      stream.on("response", (h) => (result.headers = h));
      stream.on("trailers", (t) => (result.trailers = t));
      stream.on("data", (chunk: Buffer) => result.frames.push(...reader.push(chunk)));
      stream.on("end", () => resolve(result));
      stream.on("error", reject);
      stream.end(encodeFrame(COMPRESSED, request));
    });
    expect(answer.headers["grpc-encoding"]).toBe("gzip");
    expect(answer.frames[0]!.flags & COMPRESSED).toBe(COMPRESSED);
    expect(answer.frames[0]!.data.length).toBeLessThan(4096);
    expect(Buffer.from(EchoResponse.decode(gunzipSync(answer.frames[0]!.data)).payload)).toEqual(payload);
    const unknown = await h2call(session, ECHO, [new Uint8Array(0)], { "grpc-encoding": "br" });
    expect(unknown.headers["grpc-status"]).toBe("12");
    expect(unknown.headers["grpc-accept-encoding"]).toBe("gzip, identity");
  });

  it("speaks gRPC-Web text (base64 both ways) over HTTP/1.1, the outcome in a trailer frame", async () => {
    const body = encodeFrame(0, FibonacciRequest.encode({ n: 7 }).finish()).toString("base64");
    const answer = await post(f.baseUrl + FIBONACCI, body, { "content-type": "application/grpc-web-text", "x-grpc-web": "1" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/grpc-web-text+proto");
    const frames = new FrameReader(1 << 20).push(Buffer.from(answer.body.toString("latin1"), "base64"));
    expect(FibonacciResponse.decode(frames[0]!.data).value).toBe(13);
    expect(frames[1]!.flags).toBe(TRAILERS);
    expect(Buffer.from(frames[1]!.data).toString()).toContain("grpc-status: 0\r\n");
  });

  it("ends a Connect stream with its end message, carrying the error and the trailers", async () => {
    const request = Buffer.from(JSON.stringify({ n: 1 }));
    const answer = await post(f.baseUrl + FIBONACCI, encodeFrame(0, request), { "content-type": "application/connect+json", "x-fail": "5" });
    expect(answer.status).toBe(200);
    const frames = new FrameReader(1 << 20).push(answer.body);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.flags).toBe(0x02);
    const end = JSON.parse(Buffer.from(frames[0]!.data).toString()) as { error: { code: string; message: string; details: unknown[] } };
    expect(end.error.code).toBe("not_found");
    expect(end.error.message).toBe("failed on purpose: ü % 5");
    expect(end.error.details).toHaveLength(1);
  });

  it("answers every refusal to a client still sending a large body (HTTP/1.1): the answer, never EPIPE", async () => {
    const large = Buffer.alloc(2 * 1024 * 1024, 1);
    const cases: [Record<string, string>, string, number][] = [
      [{ "content-type": "text/plain" }, ECHO, 415],
      [{ "content-type": "application/proto", "connect-timeout-ms": "soon" }, ECHO, 400],
      [{ "content-type": "application/proto", "content-encoding": "br" }, ECHO, 501],
      [{ "content-type": "application/proto" }, "/swarm.examples.v1.NoneService/Nope", 501],
      [{ "content-type": "application/json" }, "/nope", 404],
      [{ "content-type": "application/grpc-web+proto", "grpc-timeout": "x" }, ECHO, 200],
    ];
    for (const [headers, path, status] of cases) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const answer = await new Promise<{ status: number }>((resolve, reject) => {
          const req = httpRequest(f.baseUrl + path, { method: "POST", headers }, (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode! }));
          });
          req.on("error", reject);
          // the body goes in pieces, so the answer can come while the client is still writing
          for (let at = 0; at < large.length; at += 64 * 1024) req.write(large.subarray(at, at + 64 * 1024));
          req.end();
        });
        expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(status);
      }
    }
  });
});

describe("the edge's own HTTP/2 in awkward settings", () => {
  let f: EdgeFixture;
  beforeAll(async () => {
    f = await startEdge();
    await f.agent("worker");
  });
  afterAll(() => f.close());

  it("a client window of 1 KiB (many WINDOW_UPDATEs), padded frames, PING, and headers past one frame (CONTINUATION)", async () => {
    const session = connect(f.baseUrl, { settings: { initialWindowSize: 1024 }, paddingStrategy: constants.PADDING_STRATEGY_MAX });
    try {
      await new Promise((resolve) => session.once("connect", resolve)); // node's client cancels a ping sent before it connects
      await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
      const payload = Buffer.alloc(200 * 1024, "w");
      const large = "v".repeat(40 * 1024);
      const answer = await h2call(session, ECHO, [EchoRequest.encode({ payload }).finish()], { "x-in": large });
      expect(answer.headers["x-echo"]).toBe(large);
      expect(Buffer.compare(Buffer.from(EchoResponse.decode(answer.frames[0]!.data).payload), payload)).toBe(0);
      expect(answer.trailers["grpc-status"]).toBe("0");
      // many streams at once on one connection
      const many = await Promise.all(Array.from({ length: 50 }, (_, n) => h2call(session, FIBONACCI, [FibonacciRequest.encode({ n }).finish()])));
      expect(many.map((a) => FibonacciResponse.decode(a.frames[0]!.data).value)).toEqual(Array.from({ length: 50 }, (_, n) => fib(n)));
    } finally {
      session.close();
    }
  });

  it("node:http2 (nghttp2) as the engine serves the same calls", async () => {
    const edge = await startEdge({ gateway: { protoFiles: [COMPUTE_PROTO] }, http2: { engine: "node" } });
    try {
      await edge.agent("node-engine");
      const session = connect(edge.baseUrl);
      const answer = await h2call(session, FIBONACCI, [FibonacciRequest.encode({ n: 20 }).finish()]);
      session.close();
      expect(FibonacciResponse.decode(answer.frames[0]!.data).value).toBe(6765);
      expect(answer.trailers["grpc-status"]).toBe("0");
    } finally {
      await edge.close();
    }
  });
});

function fib(n: number): number {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

describe("the edge's own HTTP/1.1", () => {
  it("answers pipelined requests in order, hands a chunked one (and the rest of its connection) to node:http, and closes on connection: close", async () => {
    const f = await startEdge();
    try {
      await f.agent("worker");
      const json = (n: number) => `{"n":${n}}`;
      const plain = (n: number) => `POST ${FIBONACCI} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${json(n).length}\r\n\r\n${json(n)}`;
      const chunked = (n: number) => `POST ${FIBONACCI} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${json(n).length.toString(16)}\r\n${json(n)}\r\n0\r\n\r\n`;
      const last = (n: number) => plain(n).replace("host: x\r\n", "host: x\r\nconnection: close\r\n");
      const socket = netConnect(f.port, "127.0.0.1");
      // all four in one write; the last one asks the server to close, which ends the reading below
      socket.write(plain(10) + plain(20) + chunked(30) + last(40));
      let text = "";
      for await (const chunk of socket) text += String(chunk);
      const bodies = [...text.matchAll(/\{"value":"(\d+)"\}/g)].map((m) => m[1]);
      expect(bodies).toEqual(["55", "6765", "832040", "102334155"]);
      expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(4);
    } finally {
      await f.close();
    }
  });
});

describe("request-side flow control (client → agent)", () => {
  it("a client streaming to an agent that does not read is held by the agent's credit and the HTTP/2 window", async () => {
    const f = await startEdge();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let taken = 0;
    const transport = await WebSocketTransport.client({ url: f.hub.url, agentId: "lazy" }, { heartbeatIntervalMs: 0 });
    createServer(createDemux(transport)).add(ComputeServiceDefinition, {
      ...recordingService("lazy", f.observed),
      async *chat(requests) {
        await released;
        for await (const request of requests) {
          taken++;
          yield { text: `${request.text.length}`, seq: taken };
        }
      },
    });
    await waitFor(() => f.hub.services.agents("swarm.examples.v1.ComputeService").includes("lazy"), { what: "the lazy agent's announcement" });
    const session = connect(f.baseUrl);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/swarm.examples.v1.ComputeService/Chat", "content-type": "application/grpc", te: "trailers" });
      const message = encodeFrame(0, Buffer.concat([Buffer.from([10, 0x80, 0x80, 0x01]), Buffer.alloc(16 * 1024, "x")])); // ChatRequest{text: 16 KiB}
      let written = 0;
      // write until the stream pushes back, then until the writes stop draining
      let stable = 0;
      await waitFor(
        async () => {
          while (stream.write(message)) written++;
          written++;
          const drained = await Promise.race([new Promise((resolve) => stream.once("drain", () => resolve(true))), roundTrip(session).then(() => false)]);
          stable = drained ? 0 : stable + 1;
          return stable;
        },
        { until: (n) => n >= 3, what: "the client's writes to stop draining", timeoutMs: 10_000 },
      );
      // the agent's credit (64 messages) plus the edge's stream window (1 MiB) and the socket buffers
      expect(written * message.length).toBeLessThan((STREAM_WINDOW + 64) * message.length + 4 * 1024 * 1024);
      const replies = new FrameReader(1 << 20);
      let answered = 0;
      stream.on("data", (chunk: Buffer) => (answered += replies.push(chunk).length));
      const ended = new Promise((resolve) => stream.on("end", resolve));
      release();
      stream.end();
      await ended;
      expect(taken).toBe(written);
      expect(answered).toBe(written);
    } finally {
      session.close();
      await transport.close();
      await f.close();
    }
  });
});

/** A unary call on the same session: its answer comes after whatever the edge had to say before it. */
function roundTrip(session: ClientHttp2Session): Promise<void> {
  return h2call(session, FIBONACCI, [FibonacciRequest.encode({ n: 1 }).finish()], { "swarm-to": "lazy" }).then(() => undefined);
}

describe("TLS with ALPN, and the edge's own port", () => {
  let dir: string;
  let cert = "";
  let key = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "edge-tls-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    cert = readFileSync(join(dir, "cert.pem"), "utf8");
    key = readFileSync(join(dir, "key.pem"), "utf8");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves h2 (gRPC) and http/1.1 (Connect) by ALPN on the hub's TLS port, beside wss:// agents", async () => {
    const http = createHubHttp({ gateway: { protoFiles: [COMPUTE_PROTO] } });
    const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http, tls: { cert, key } }, { heartbeatIntervalMs: 0 });
    const agent = await WebSocketTransport.client({ url: hub.url, agentId: "secure", tls: { ca: cert } }, { heartbeatIntervalMs: 0 });
    try {
      createServer(createDemux(agent)).add(ComputeServiceDefinition, recordingService("secure", { metadata: [], deadlines: [], aborted: [], produced: new Map() }));
      await waitFor(() => hub.services.agents("swarm.examples.v1.ComputeService").length, { what: "the agent's announcement over wss" });
      const client = new grpc.Client(`127.0.0.1:${hub.port}`, grpc.credentials.createSsl(Buffer.from(cert)));
      const reply = await new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(FIBONACCI, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(FibonacciRequest.encode({ n: 9 }).finish()), (error, value) => (error ? reject(error) : resolve(value!))),
      );
      client.close();
      expect(FibonacciResponse.decode(reply).value).toBe(34);
      const connectAnswer = await post(`https://127.0.0.1:${hub.port}${FIBONACCI}`, '{"n": 8}', { "content-type": "application/json" }, { ca: cert });
      expect(JSON.parse(connectAnswer.body.toString())).toEqual({ value: "21" });
    } finally {
      await agent.close();
      await hub.close();
    }
  });

  it("serves HTTP/1.1 and h2c on a port of its own (--http-bind)", async () => {
    const http = createHubHttp({ gateway: { protoFiles: [COMPUTE_PROTO] }, bindAddr: "127.0.0.1:0" });
    const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http }, { heartbeatIntervalMs: 0 });
    const agent = await WebSocketTransport.client({ url: hub.url, agentId: "own-port" }, { heartbeatIntervalMs: 0 });
    try {
      createServer(createDemux(agent)).add(ComputeServiceDefinition, recordingService("own-port", { metadata: [], deadlines: [], aborted: [], produced: new Map() }));
      await waitFor(() => hub.services.agents("swarm.examples.v1.ComputeService").length, { what: "the agent's announcement" });
      expect(http.port).not.toBe(hub.port);
      const session = connect(`http://127.0.0.1:${http.port}`);
      const answer = await h2call(session, FIBONACCI, [FibonacciRequest.encode({ n: 11 }).finish()]);
      session.close();
      expect(FibonacciResponse.decode(answer.frames[0]!.data).value).toBe(89);
      const connectAnswer = await post(`http://127.0.0.1:${http.port}${FIBONACCI}`, '{"n": 6}', { "content-type": "application/json" });
      expect(JSON.parse(connectAnswer.body.toString())).toEqual({ value: "8" });
    } finally {
      await agent.close();
      await hub.close();
    }
  });
});
