import { request as httpRequest } from "node:http";
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
    ["streaming content type", "unimplemented", 415, FIBONACCI, '{"n": 1}', { "content-type": "application/connect+json" }],
    ["compressed body", "unimplemented", 501, FIBONACCI, '{"n": 1}', { "content-encoding": "gzip" }],
    ["bad connect-timeout-ms", "invalid_argument", 400, FIBONACCI, '{"n": 1}', { "connect-timeout-ms": "soon" }],
    ["bad connect-protocol-version", "invalid_argument", 400, FIBONACCI, '{"n": 1}', { "connect-protocol-version": "2" }],
    ["no target agent", "invalid_argument", 400, FIBONACCI, '{"n": 1}', { "swarm-to": "" }],
    ["not a procedure path", "unimplemented", 404, "/nope", "{}", {}],
  ])("%s → %s (HTTP %i)", async (_what, code, status, path, body, headers) => {
    const r = await post(f.baseUrl, path, body, headers);
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toBe("application/json");
    const error = r.json() as { code: string; message: string };
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(0);
  });

  it("answers GET on a procedure with 405 and Allow: POST", async () => {
    const response = await fetch(f.baseUrl + FIBONACCI);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(((await response.json()) as { code: string }).code).toBe("unimplemented");
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

  it("refuses a body declared over maxBodyBytes with resource_exhausted and closes the connection", async () => {
    const r = await post(f.baseUrl, ECHO, JSON.stringify({ payload: Buffer.alloc(100).toString("base64") }));
    expect(r.status).toBe(429);
    expect((r.json() as { code: string }).code).toBe("resource_exhausted");
    expect(r.headers.get("connection")).toBe("close");
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
