// A real @grpc/grpc-js client, its stubs built at run time from compute.proto (proto-loader),
// calling agents through the hub's edge over h2c: every call kind, deadlines, cancellation,
// metadata both ways, every status code with details, a 4 MiB message, gzip, and a slow
// reader that must not make the hub buffer past a bound.
import * as grpc from "@grpc/grpc-js";
import * as loader from "@grpc/proto-loader";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { randomBytes } from "node:crypto";
import { connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createDemux, createServer, type ServiceDefinition } from "../../src/index.js";
import { WebSocketTransport } from "../../src/node.js";
import { encodeFrame, FrameReader } from "../../src/gateway/grpc-framing.js";
import { decodeStatus } from "../../src/gateway/status-details.js";
import { STREAM_WINDOW } from "../../src/rpc/stream-inbox.js";
import { waitFor } from "../helpers/wait-for.js";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";
import { COMPUTE_PROTO } from "./fixture.js";

type Callback = (error: grpc.ServiceError | null, value?: any) => void;
interface ComputeStub extends grpc.Client {
  Fibonacci(request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback): grpc.ClientUnaryCall;
  Echo(request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback): grpc.ClientUnaryCall;
  CountTo(request: object, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<{ value: number }>;
  Sum(metadata: grpc.Metadata, callback: Callback): grpc.ClientWritableStream<{ value: number }>;
  Chat(metadata: grpc.Metadata): grpc.ClientDuplexStream<{ text: string }, { text: string; seq: number }>;
}

const pkg = grpc.loadPackageDefinition(loader.loadSync(COMPUTE_PROTO, { longs: Number })) as unknown as {
  swarm: { examples: { v1: { ComputeService: new (address: string, credentials: grpc.ChannelCredentials, options?: object) => ComputeStub } } };
};

function to(agent: string, extra: Record<string, string | Buffer> = {}): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("swarm-to", agent);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return metadata;
}

function unary(stub: ComputeStub, method: "Fibonacci" | "Echo", request: object, metadata: grpc.Metadata, options: grpc.CallOptions = {}): Promise<any> {
  return new Promise((resolve, reject) => stub[method](request, metadata, options, (error, value) => (error ? reject(error) : resolve(value))));
}

describe("@grpc/grpc-js client → hub edge (h2c) → agents", () => {
  let f: EdgeFixture;
  let stub: ComputeStub;
  beforeAll(async () => {
    f = await startEdge();
    await f.agent("worker");
    stub = new pkg.swarm.examples.v1.ComputeService(`127.0.0.1:${f.port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 16 * 1024 * 1024,
      "grpc.max_send_message_length": 16 * 1024 * 1024,
    });
  });
  afterAll(async () => {
    stub.close();
    await f.close();
  });

  it("unary, server-, client- and bidi-streaming calls, routed by service without a header", async () => {
    expect(await unary(stub, "Fibonacci", { n: 42 }, new grpc.Metadata())).toEqual({ value: 267914296 });
    const counted: number[] = [];
    const stream = stub.CountTo({ n: 5 }, new grpc.Metadata());
    for await (const message of stream) counted.push(message.value);
    expect(counted).toEqual([1, 2, 3, 4, 5]);
    const sum = await new Promise((resolve, reject) => {
      const call = stub.Sum(new grpc.Metadata(), (error, value) => (error ? reject(error) : resolve(value)));
      for (const value of [1, 2, 3, 4]) call.write({ value });
      call.end();
    });
    expect(sum).toEqual({ total: 10, count: 4 });
    const chat = stub.Chat(new grpc.Metadata());
    const replies: string[] = [];
    chat.write({ text: "one" });
    for await (const reply of chat) {
      replies.push(`${reply.seq} ${reply.text}`);
      // bidi is interactive: the second message goes only after the first answer came back
      if (replies.length === 1) {
        chat.write({ text: "two" });
        chat.end();
      }
    }
    expect(replies).toEqual(["1 echo: one", "2 echo: two"]);
  });

  it("carries the deadline to the agent as its call deadline, and ends a late call with DEADLINE_EXCEEDED, cancelling the agent's handler", async () => {
    const before = Date.now();
    await unary(stub, "Fibonacci", { n: 1 }, to("worker"), { deadline: before + 5000 });
    const seen = f.observed.deadlines.at(-1)!;
    expect(seen.deadline).toBeGreaterThan(before + 4000);
    expect(seen.deadline).toBeLessThanOrEqual(Date.now() + 5000);
    const late = await unary(stub, "Fibonacci", { n: 1 }, to("worker", { "x-hang": "1" }), { deadline: Date.now() + 150 }).catch((error: grpc.ServiceError) => error);
    expect(late.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await waitFor(() => f.observed.aborted.some((a) => a.method === "Fibonacci"), { what: "the agent's handler to see its signal abort at the deadline" });
  });

  it("cancelling a server stream cancels the agent's handler", async () => {
    const aborted = f.observed.aborted.length;
    const stream = stub.CountTo({ n: 100_000, delayMs: 1 }, to("worker"));
    let got = 0;
    const ended = new Promise<grpc.ServiceError>((resolve) => stream.on("error", resolve));
    stream.on("data", () => {
      if (++got === 3) stream.cancel();
    });
    expect((await ended).code).toBe(grpc.status.CANCELLED);
    await waitFor(() => f.observed.aborted.slice(aborted).some((a) => a.method === "CountTo"), { what: "the agent's CountTo to see its signal abort" });
  });

  it("carries metadata both ways, -bin keys included", async () => {
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    let header: grpc.Metadata | undefined;
    let trailer: grpc.Metadata | undefined;
    const reply = await new Promise<any>((resolve, reject) => {
      const call = stub.Echo({ payload: Buffer.from("hi") }, to("worker", { "x-in": "hello", "x-in-bin": binary }), {}, (error, value) => (error ? reject(error) : resolve(value)));
      call.on("metadata", (metadata) => (header = metadata));
      call.on("status", (status) => (trailer = status.metadata));
    });
    expect(Buffer.from(reply.payload).toString()).toBe("hi");
    const seen = f.observed.metadata.filter((m) => m.method === "Echo").at(-1)!.metadata;
    expect(seen["x-in"]).toBe("hello");
    // -bin values reach the agent as the base64 text gRPC sends
    expect(Buffer.from(seen["x-in-bin"]!, "base64")).toEqual(binary);
    expect(seen["swarm-to"]).toBeUndefined();
    expect(header?.get("x-echo")).toEqual(["hello"]);
    expect(header?.get("x-echo-bin")).toEqual([binary]);
    expect(trailer?.get("x-trailer")).toEqual(["done"]);
  });

  it("reports every status code an agent fails with, its message (percent-encoded on the wire) and its details", async () => {
    for (let code = 1; code <= 16; code++) {
      const error = await unary(stub, "Fibonacci", { n: 1 }, to("worker", { "x-fail": String(code) })).catch((e: grpc.ServiceError) => e);
      expect(error.code, `status ${code}`).toBe(code);
      expect(error.details).toBe(`failed on purpose: ü % ${code}`);
      const details = decodeStatus(error.metadata.get("grpc-status-details-bin")[0] as Buffer);
      expect(details?.code).toBe(code);
      expect(details?.details[0]?.typeUrl).toBe("type.googleapis.com/google.protobuf.Value");
    }
  });

  it("answers UNIMPLEMENTED for a method nobody serves and UNAVAILABLE for an agent that is not there", async () => {
    const nobody = await unary(stub, "Fibonacci", { n: 1 }, to("nobody")).catch((e: grpc.ServiceError) => e);
    expect(nobody.code).toBe(grpc.status.UNAVAILABLE);
    const client = new grpc.Client(`127.0.0.1:${f.port}`, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest("/swarm.examples.v1.NoSuchService/Nope", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e!)),
    );
    client.close();
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("carries a 4 MiB message each way, and gzip both ways when the client compresses", async () => {
    const payload = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload.writeUInt32BE(i, i);
    const reply = await unary(stub, "Echo", { payload }, to("worker"));
    expect(Buffer.compare(Buffer.from(reply.payload), payload)).toBe(0);
    const gzipped = new pkg.swarm.examples.v1.ComputeService(`127.0.0.1:${f.port}`, grpc.credentials.createInsecure(), { "grpc.default_compression_algorithm": 2 });
    try {
      const text = Buffer.alloc(64 * 1024, "swarm ");
      const echoed = await unary(gzipped, "Echo", { payload: text }, to("worker"));
      expect(Buffer.compare(Buffer.from(echoed.payload), text)).toBe(0);
    } finally {
      gzipped.close();
    }
  });
});

describe("a slow gRPC reader", () => {
  const MESSAGE_BYTES = 16 * 1024;
  const COUNT = 1000; // 16 MiB in all
  const BYTES = { encode: (bytes: Uint8Array, writer = new BinaryWriter()) => writer.raw(bytes), decode: (input: Uint8Array, length?: number) => input.slice(0, length ?? input.length) };
  const FLOOD: ServiceDefinition = {
    name: "FloodService",
    fullName: "swarm.testing.v1.FloodService",
    methods: { flood: { name: "Flood", requestType: BYTES, requestStream: false, responseType: BYTES, responseStream: true } },
  };
  // incompressible, so gzip (which grpc-js accepts) leaves the messages as they are
  const noise = randomBytes(MESSAGE_BYTES);
  let f: EdgeFixture;
  let produced = 0;
  let probe: ComputeStub;

  beforeAll(async () => {
    f = await startEdge();
    const agent = await WebSocketTransport.client({ url: f.hub.url, agentId: "flooder" }, { heartbeatIntervalMs: 0 });
    createServer(createDemux(agent))
      .add(ComputeServiceDefinition, computeService)
      .add(FLOOD, {
        async *flood(request: Uint8Array) {
          const count = Buffer.from(request).readUInt32BE(0);
          for (let i = 0; i < count; i++) {
            produced++;
            const message = Buffer.from(noise);
            message.writeUInt32BE(i, 0);
            yield message;
          }
        },
      } as never);
    await waitFor(() => f.hub.services.agents(FLOOD.fullName).length, { what: "the flood service to be announced" });
    probe = new pkg.swarm.examples.v1.ComputeService(`127.0.0.1:${f.port}`, grpc.credentials.createInsecure());
    f.close = ((close) => async () => {
      probe.close();
      await agent.close();
      await close();
    })(f.close);
  });
  afterAll(() => f.close());

  /** Waits until the agent stops producing: unmoved across three round trips to it through the hub. */
  async function untilHeldBack(): Promise<{ produced: number; maxBuffered: number }> {
    let maxBuffered = 0;
    let stable = 0;
    let last = -1;
    await waitFor(
      async () => {
        await unary(probe, "Fibonacci", { n: 1 }, to("flooder"));
        maxBuffered = Math.max(maxBuffered, f.http.gateway!.bufferedBytes);
        stable = produced === last && produced > 0 ? stable + 1 : 0;
        last = produced;
        return stable;
      },
      { until: (n) => n >= 3, what: "the flooding agent to stop for lack of credit", timeoutMs: 10_000 },
    );
    return { produced, maxBuffered };
  }

  /** Reads the rest: every message, in order. */
  async function readAll(messages: AsyncIterable<Uint8Array>): Promise<number> {
    let received = 0;
    for await (const message of messages) {
      expect(message.length).toBe(MESSAGE_BYTES);
      expect(Buffer.from(message).readUInt32BE(0)).toBe(received);
      received++;
    }
    return received;
  }

  function request(): Buffer {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(COUNT);
    return bytes;
  }

  function expectBounded(held: { produced: number; maxBuffered: number }, what: string): void {
    console.log(`slow reader (${what}): the agent produced ${held.produced} of ${COUNT} messages of ${MESSAGE_BYTES} B before credit stopped it; the edge buffered at most ${held.maxBuffered} B`);
    // the agent gets ahead by its credit (and one message it holds), no more
    expect(held.produced).toBeLessThanOrEqual(STREAM_WINDOW + 1);
    expect(held.maxBuffered).toBeLessThanOrEqual((STREAM_WINDOW + 1) * (MESSAGE_BYTES + 5));
  }

  it("grpc-js (gzip negotiated): the agent is held back by stream credit, the hub's buffer stays bounded, then every message arrives in order", async () => {
    produced = 0;
    const client = new grpc.Client(`127.0.0.1:${f.port}`, grpc.credentials.createInsecure());
    try {
      const stream = client.makeServerStreamRequest("/swarm.testing.v1.FloodService/Flood", (b: Buffer) => b, (b: Buffer) => b, request(), to("flooder"));
      stream.pause();
      expectBounded(await untilHeldBack(), "grpc-js");
      stream.resume();
      expect(await readAll(stream as AsyncIterable<Buffer>)).toBe(COUNT);
      expect(f.http.gateway!.inFlight).toBe(0);
    } finally {
      client.close();
    }
  });

  it("node:http2 (no compression): the same bound, with the HTTP/2 stream's own backpressure", async () => {
    produced = 0;
    const session = connect(f.baseUrl);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/swarm.testing.v1.FloodService/Flood", "content-type": "application/grpc", te: "trailers", "swarm-to": "flooder" });
      stream.end(encodeFrame(0, request()));
      stream.pause();
      expectBounded(await untilHeldBack(), "node:http2");
      const reader = new FrameReader(1 << 20);
      const messages = async function* () {
        for await (const chunk of stream as AsyncIterable<Buffer>) for (const frame of reader.push(chunk)) yield frame.data;
      };
      const trailers = new Promise<Record<string, unknown>>((resolve) => stream.once("trailers", resolve));
      expect(await readAll(messages())).toBe(COUNT);
      expect((await trailers)["grpc-status"]).toBe("0");
    } finally {
      session.close();
    }
  });
});
