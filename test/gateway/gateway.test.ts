import { request as httpRequest } from "node:http";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { EchoResponse, FibonacciRequest, FibonacciResponse } from "../../generated/swarm/examples/v1/compute.js";
import { connectCodeName, connectHttpStatus } from "../../src/node.js";
import { Status } from "../../src/index.js";
import { waitFor } from "../helpers/wait-for.js";
import { ECHO, FIBONACCI, post, startGateway, type GatewayFixture } from "./fixture.js";

describe("HTTP gateway: Connect unary calls to an agent behind the hub", () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGateway();
  });
  afterAll(() => f.close());

  it("answers a JSON call with the proto3 JSON of the agent's response", async () => {
    const r = await post(f.baseUrl, FIBONACCI, JSON.stringify({ n: 42 }));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    // proto3 JSON writes 64-bit integers as strings
    expect(r.json()).toEqual({ value: "267914296" });
    expect(Number((r.json() as { value: string }).value)).toBe((await f.ours.fibonacci({ n: 42 })).value);
  });

  it("accepts proto field names, bytes as base64, and a charset parameter", async () => {
    const r = await post(f.baseUrl, ECHO, JSON.stringify({ payload: Buffer.from("hello").toString("base64") }), { "content-type": "application/json; charset=utf-8" });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ payload: Buffer.from("hello").toString("base64") });
  });

  it("forwards an application/proto call's bytes and returns the response bytes", async () => {
    const r = await post(f.baseUrl, FIBONACCI, FibonacciRequest.encode({ n: 30 }).finish(), { "content-type": "application/proto" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/proto");
    expect(FibonacciResponse.decode(r.bytes)).toEqual(await f.ours.fibonacci({ n: 30 }));
  });

  it("serves binary calls of methods it has no schema for, and an empty body as the default message", async () => {
    const r = await post(f.baseUrl, ECHO, new Uint8Array(0), { "content-type": "application/proto" });
    expect(r.status).toBe(200);
    expect(EchoResponse.decode(r.bytes).payload).toHaveLength(0);
  });

  it.each([
    ["unknown agent", "unavailable", 503, FIBONACCI, "{}", { "swarm-to": "nobody" }],
    ["unknown method", "unimplemented", 501, "/swarm.examples.v1.ComputeService/Nope", "", { "content-type": "application/proto" }],
    ["unknown method, JSON without a schema", "unimplemented", 501, "/swarm.examples.v1.ComputeService/Nope", "{}", {}],
    ["streaming method", "unimplemented", 501, "/swarm.examples.v1.ComputeService/CountTo", '{"n": 3}', {}],
    ["no deadline left", "deadline_exceeded", 504, FIBONACCI, '{"n": 1}', { "swarm-to": "sleepy", "connect-timeout-ms": "20" }],
    ["bad JSON", "invalid_argument", 400, FIBONACCI, '{"n": ', {}],
    ["JSON that is not the request type", "invalid_argument", 400, FIBONACCI, '{"m": 1}', {}],
    ["JSON that is not an object", "invalid_argument", 400, FIBONACCI, "[1]", {}],
    ["undecodable binary request", "invalid_argument", 400, FIBONACCI, "\u00ff\u00ff\u00ff", { "content-type": "application/proto" }],
    ["wrong content type", "unimplemented", 415, FIBONACCI, '{"n": 1}', { "content-type": "text/plain" }],
    ["a compression the edge does not read", "unimplemented", 501, FIBONACCI, '{"n": 1}', { "content-encoding": "br" }],
    ["a body that is not the gzip it claims", "invalid_argument", 400, FIBONACCI, '{"n": 1}', { "content-encoding": "gzip" }],
    ["bad connect-timeout-ms", "invalid_argument", 400, FIBONACCI, '{"n": 1}', { "connect-timeout-ms": "soon" }],
    ["bad connect-protocol-version", "invalid_argument", 400, FIBONACCI, '{"n": 1}', { "connect-protocol-version": "2" }],
    ["a service no agent serves", "unimplemented", 501, "/swarm.examples.v1.NobodyService/Nope", "", { "swarm-to": "", "content-type": "application/proto" }],
    ["not a procedure path", "unimplemented", 404, "/nope", "{}", {}],
  ])("%s → %s (HTTP %i)", async (_what, code, status, path, body, headers) => {
    const r = await post(f.baseUrl, path, body, headers);
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toBe("application/json");
    const error = r.json() as { code: string; message: string };
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(0);
  });

  it("answers a GET without a message in its query with 405 and Allow: POST, GET", async () => {
    const response = await fetch(f.baseUrl + FIBONACCI);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST, GET");
    expect(((await response.json()) as { code: string }).code).toBe("unimplemented");
  });

  it("serves Connect GET calls: JSON in the query, or base64 protobuf", async () => {
    const to = { headers: { "swarm-to": "agent_2" } };
    const json = await fetch(`${f.baseUrl}${FIBONACCI}?connect=v1&encoding=json&message=${encodeURIComponent('{"n":20}')}`, to);
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ value: "6765" });
    const message = Buffer.from(FibonacciRequest.encode({ n: 21 }).finish()).toString("base64url");
    const proto = await fetch(`${f.baseUrl}${FIBONACCI}?connect=v1&encoding=proto&base64=1&message=${message}`, to);
    expect(proto.headers.get("content-type")).toBe("application/proto");
    expect(FibonacciResponse.decode(new Uint8Array(await proto.arrayBuffer())).value).toBe(10946);
  });

  it("reads a gzip'd request and gzips a large response for a client that accepts it", async () => {
    const payload = Buffer.alloc(8192, 0x41).toString("base64");
    const body = gzipSync(JSON.stringify({ payload }));
    const response = await new Promise<{ status: number; encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(`${f.baseUrl}${ECHO}`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip", "accept-encoding": "gzip", "swarm-to": "agent_2" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode!, encoding: res.headers["content-encoding"], body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(response.status).toBe(200);
    expect(response.encoding).toBe("gzip");
    expect(response.body.length).toBeLessThan(1024);
    expect(JSON.parse(gunzipSync(response.body).toString())).toEqual({ payload });
  });

  it("maps every gRPC status to Connect's code name and HTTP status", () => {
    expect(connectCodeName(Status.CANCELLED)).toBe("canceled");
    expect(connectCodeName(Status.UNAUTHENTICATED)).toBe("unauthenticated");
    expect([Status.INVALID_ARGUMENT, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED, Status.UNIMPLEMENTED, Status.UNAVAILABLE].map(connectHttpStatus)).toEqual([
      400, 504, 429, 501, 503,
    ]);
  });

  it("cancels the agent's call when the HTTP client goes away", async () => {
    const aborter = new AbortController();
    const call = fetch(f.baseUrl + FIBONACCI, {
      method: "POST",
      headers: { "content-type": "application/json", "swarm-to": "sleepy", "connect-timeout-ms": "60000" },
      body: '{"n": 1}',
      signal: aborter.signal,
    }).catch((error: unknown) => error);
    await waitFor(() => f.http.gateway!.inFlight, { until: (n) => n > 0, what: "the gateway to forward the call" });
    aborter.abort();
    await call;
    // only a cancellation ends it: the agent never answers and the deadline is a minute away
    await waitFor(() => f.http.gateway!.inFlight, { until: (n) => n === 0, what: "the gateway to end the call whose client went away" });
  });

  it("keeps serving after every error above", async () => {
    const r = await post(f.baseUrl, FIBONACCI, '{"n": 10}');
    expect(r.json()).toEqual({ value: "55" });
  });
});

describe("HTTP gateway limits", () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGateway({ gateway: { services: [ComputeServiceDefinition], maxInFlight: 1, maxBodyBytes: 64, routes: { "swarm.examples.v1.ComputeService": "agent_2" } } });
  });
  afterAll(() => f.close());

  it("converts JSON with a ts-proto definition, and routes by service without swarm-to", async () => {
    const r = await post(f.baseUrl, FIBONACCI, '{"n": 42}', { "swarm-to": "" });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ value: 267914296 });
  });

  it("refuses a body declared over maxBodyBytes with resource_exhausted, read to its end so the client sees the answer", async () => {
    const r = await post(f.baseUrl, ECHO, JSON.stringify({ payload: Buffer.alloc(100).toString("base64") }));
    expect(r.status).toBe(429);
    expect((r.json() as { code: string }).code).toBe("resource_exhausted");
  });

  it("stops reading a chunked body at maxBodyBytes", async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${f.baseUrl}${ECHO}`, { method: "POST", headers: { "content-type": "application/proto", "swarm-to": "agent_2" } }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on("error", reject);
      req.write(Buffer.alloc(40));
      req.write(Buffer.alloc(40)); // 80 bytes in two chunks, no content-length
      req.end();
    });
    expect(status).toBe(429);
    expect(JSON.parse(body).code).toBe("resource_exhausted");
  });

  it("refuses calls beyond maxInFlight with resource_exhausted, then serves again", async () => {
    const hanging = post(f.baseUrl, FIBONACCI, '{"n": 1}', { "swarm-to": "sleepy", "connect-timeout-ms": "60000" });
    await waitFor(() => f.http.gateway!.inFlight, { until: (n) => n > 0, what: "the first call to hold the only slot" });
    const refused = await post(f.baseUrl, FIBONACCI, '{"n": 1}');
    expect(refused.status).toBe(429);
    expect((refused.json() as { code: string }).code).toBe("resource_exhausted");
    await f.hub.close(); // the hanging call settles when the hub closes
    expect([503, 0]).toContain(await hanging.then((r) => r.status).catch(() => 0));
  });
});
