import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { computeService, ComputeServiceDefinition, fibonacci } from "../../src/cli/example-service.js";
import { CountToRequest, FibonacciRequest } from "../../generated/swarm/examples/v1/compute.js";
import {
  callMethod,
  createClient,
  createDemux,
  createServer,
  Message,
  RpcError,
  Status,
  type CallContext,
  type ClientInterceptor,
  type ServerInterceptor,
  type Demux,
} from "../../src/index.js";
import { STREAM_WINDOW } from "../../src/rpc/stream-inbox.js";
import type { ConformanceFactory, ConformanceNetwork } from "../transport/conformance.js";
import { until } from "../helpers/wait-for.js";

export { until };

async function caught(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError);
    return error as RpcError;
  }
  throw new Error("expected the call to fail");
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Never settles by itself: waits for the call's signal (cancel, deadline, peer loss). */
function waitForAbort(context: CallContext): Promise<never> {
  return new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true }));
}

/**
 * The RPC behaviour every transport must carry: the same suite runs over in-process,
 * WebSocket and shared memory, each with its factory.
 */
export function describeRpcSuite(name: string, factory: ConformanceFactory): void {
  describe(`${name}: typed RPC`, () => {
    let network: ConformanceNetwork | undefined;
    const open = async (addresses = ["client", "server"]) => {
      network = await factory(addresses);
      // one demux per endpoint: the client, the server and anything else read through it
      return network.transports.map((transport) => createDemux(transport)) as [Demux, Demux, ...Demux[]];
    };
    afterEach(async () => {
      if (network !== undefined) {
        await Promise.all(network.transports.map((t) => t.close()));
        await network.cleanup();
        network = undefined;
      }
    });

    const setup = async (implementation = computeService) => {
      const [client, server] = await open();
      const rpcServer = createServer(server).add(ComputeServiceDefinition, implementation);
      const compute = createClient(ComputeServiceDefinition, client, { peer: "server", timeoutMs: 5000 });
      return { client, server, rpcServer, compute };
    };

    it("unary", async () => {
      const { compute } = await setup();
      expect(await compute.fibonacci({ n: 42 })).toEqual({ value: 267914296 });
      const results = await Promise.all(Array.from({ length: 100 }, (_, n) => compute.fibonacci({ n: n % 70 })));
      expect(results.map((r) => r.value)).toEqual(Array.from({ length: 100 }, (_, n) => fibonacci(n % 70)));
    });

    it("server streaming", async () => {
      const { compute } = await setup();
      const values = (await drain(compute.countTo({ n: 300, delayMs: 0 }))).map((r) => r.value);
      expect(values).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    });

    it("client streaming", async () => {
      const { compute } = await setup();
      async function* numbers() {
        for (let i = 1; i <= 200; i++) yield { value: i };
      }
      expect(await compute.sum(numbers())).toEqual({ total: 20100, count: 200 });
      expect(await compute.sum([{ value: 5 }, { value: 6 }])).toEqual({ total: 11, count: 2 });
      expect(await compute.sum([])).toEqual({ total: 0, count: 0 });
    });

    it("bidirectional streaming, answers interleaved with requests", async () => {
      const { compute } = await setup();
      const replies: string[] = [];
      let release!: () => void;
      const replied = new Promise<void>((r) => (release = r));
      async function* talk() {
        yield { text: "hello" };
        await replied; // the first answer arrives before the second request is sent
        yield { text: "world" };
      }
      for await (const reply of compute.chat(talk())) {
        replies.push(`${reply.seq}:${reply.text}`);
        release();
      }
      expect(replies).toEqual(["1:echo: hello", "2:echo: world"]);
    });

    it("metadata goes to the handler; headers and trailers come back", async () => {
      let seen: Record<string, string> = {};
      const { compute } = await setup({
        ...computeService,
        fibonacci(request, context) {
          seen = { ...context.metadata };
          context.header["x-served-by"] = "server";
          context.trailer["x-cost"] = "3";
          return { value: fibonacci(request.n) };
        },
      });
      let header: Record<string, string> = {};
      let trailer: Record<string, string> = {};
      await compute.fibonacci({ n: 3 }, { metadata: { authorization: "Bearer t" }, onHeader: (h) => (header = { ...h }), onTrailer: (t) => (trailer = { ...t }) });
      expect(seen).toEqual({ authorization: "Bearer t" });
      expect(header).toEqual({ "x-served-by": "server" });
      expect(trailer).toEqual({ "x-cost": "3" });
    });

    it("stream headers arrive with the first message, trailers at the end", async () => {
      const { compute } = await setup({
        ...computeService,
        async *countTo(request, context) {
          context.header["x-stream"] = "yes";
          for (let i = 1; i <= request.n; i++) yield { value: i };
          context.trailer["x-count"] = String(request.n);
        },
      });
      const events: string[] = [];
      for await (const r of compute.countTo({ n: 2, delayMs: 0 }, { onHeader: (h) => events.push(`header ${h["x-stream"]}`), onTrailer: (t) => events.push(`trailer ${t["x-count"]}`) })) {
        events.push(`value ${r.value}`);
      }
      expect(events).toEqual(["header yes", "value 1", "value 2", "trailer 2"]);
    });

    it("deadline: the caller gets DEADLINE_EXCEEDED and the handler's signal aborts", async () => {
      let handlerAborted = false;
      const { compute } = await setup({
        ...computeService,
        async fibonacci(_request, context) {
          await waitForAbort(context).catch(() => (handlerAborted = true));
          return { value: 0 };
        },
      });
      const started = performance.now();
      const error = await caught(compute.fibonacci({ n: 1 }, { deadline: 50 }));
      const elapsedMs = performance.now() - started;
      expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
      // not before the deadline, and long before the client's 5 s timeoutMs would have ended it
      expect(Math.round(elapsedMs)).toBeGreaterThanOrEqual(50);
      expect(elapsedMs).toBeLessThan(2000);
      expect(error.message).toMatch(/^DEADLINE_EXCEEDED: deadline exceeded calling \/swarm.examples.v1.ComputeService\/Fibonacci/);
      await until(() => handlerAborted);
    });

    it("a deadline given as a Date works, and the handler sees it", async () => {
      let deadline: number | undefined;
      const { compute } = await setup({
        ...computeService,
        fibonacci(request, context) {
          deadline = context.deadline;
          return { value: fibonacci(request.n) };
        },
      });
      const at = new Date(Date.now() + 3000);
      await compute.fibonacci({ n: 1 }, { deadline: at });
      expect(deadline).toBeGreaterThan(Date.now());
      expect(Math.abs(deadline! - at.getTime())).toBeLessThan(500);
    });

    it("cancel: the caller gets CANCELLED and the handler's signal aborts", async () => {
      let handlerAborted = false;
      const { compute, rpcServer } = await setup({
        ...computeService,
        async fibonacci(_request, context) {
          await waitForAbort(context).catch(() => (handlerAborted = true));
          return { value: 0 };
        },
      });
      const controller = new AbortController();
      const pending = compute.fibonacci({ n: 1 }, { signal: controller.signal });
      await until(() => rpcServer.activeCalls === 1);
      controller.abort();
      expect((await caught(pending)).code).toBe(Status.CANCELLED);
      await until(() => handlerAborted && rpcServer.activeCalls === 0);
      // an already-aborted signal never sends the call
      expect((await caught(compute.fibonacci({ n: 1 }, { signal: controller.signal }))).code).toBe(Status.CANCELLED);
    });

    it("breaking out of a response stream cancels it on the server", async () => {
      let serverAborted = false;
      const { compute, rpcServer } = await setup({
        ...computeService,
        async *countTo(request, context) {
          context.signal.addEventListener("abort", () => (serverAborted = true));
          for (let i = 1; i <= request.n; i++) yield { value: i };
        },
      });
      for await (const r of compute.countTo({ n: 1_000_000, delayMs: 0 })) {
        if (r.value === 10) break;
      }
      await until(() => serverAborted && rpcServer.activeCalls === 0);
    });

    it("a handler's Error becomes UNKNOWN; an RpcError keeps its code and details", async () => {
      const { compute } = await setup({
        ...computeService,
        fibonacci(request) {
          if (request.n === 1) throw new Error("boom");
          throw new RpcError(Status.NOT_FOUND, "no such number", { details: { n: request.n } });
        },
      });
      const unknown = await caught(compute.fibonacci({ n: 1 }));
      expect(unknown.code).toBe(Status.UNKNOWN);
      expect(unknown.rawMessage).toBe("boom");
      const notFound = await caught(compute.fibonacci({ n: 2 }));
      expect(notFound).toMatchObject({ code: Status.NOT_FOUND, rawMessage: "no such number", details: { n: 2 } });
      expect(notFound.message).toBe("NOT_FOUND: no such number");
      // and the server still works
      expect(await compute.fibonacci({ n: 3 }).catch((e: RpcError) => e.code)).toBe(Status.NOT_FOUND);
    });

    it("a streaming handler that throws ends the stream with its status", async () => {
      const { compute } = await setup({
        ...computeService,
        async *countTo() {
          yield { value: 1 };
          throw new RpcError(Status.OUT_OF_RANGE, "too far");
        },
      });
      const seen: number[] = [];
      const error = await caught(
        (async () => {
          for await (const r of compute.countTo({ n: 5, delayMs: 0 })) seen.push(r.value);
        })(),
      );
      expect(seen).toEqual([1]);
      expect(error.code).toBe(Status.OUT_OF_RANGE);
    });

    it("an unknown method is UNIMPLEMENTED", async () => {
      const [client, server] = await open();
      createServer(server).addMethod("something_else", () => 1);
      const compute = createClient(ComputeServiceDefinition, client, { peer: "server" });
      const error = await caught(compute.fibonacci({ n: 1 }));
      expect(error.code).toBe(Status.UNIMPLEMENTED);
      expect(error.message).toContain("/swarm.examples.v1.ComputeService/Fibonacci");
    });

    it("an undecodable request is INVALID_ARGUMENT", async () => {
      const [raw, server] = await open(["raw", "server"]);
      createServer(server).add(ComputeServiceDefinition, computeService);
      // 0x08 starts a varint field that never ends
      const request = Message.request("raw", "/swarm.examples.v1.ComputeService/Fibonacci", Uint8Array.from([0x08, 0xff]));
      await raw.transport.send("server", request);
      const { message } = await raw.receive({ signal: AbortSignal.timeout(2000) });
      const outcome = message.payload("response")?.outcome;
      expect(outcome?.$case).toBe("error");
      expect(outcome?.$case === "error" && outcome.value.code).toBe(Status.INVALID_ARGUMENT);
    });

    it("untyped JSON methods work as in the seed", async () => {
      const [client, server] = await open();
      createServer(server).addMethod("compute_fibonacci", (params) => ({ value: fibonacci((params as { n: number }).n) }));
      expect(await callMethod(client, "server", "compute_fibonacci", { n: 42 })).toEqual({ value: 267914296 });
      // a typed method also takes JSON params (proto3 JSON mapping), e.g. from the CLI
      await network!.transports[0]!.close();
    });

    it("a typed method accepts a JSON request (proto3 JSON mapping) and answers in JSON", async () => {
      const [raw, server] = await open(["raw", "server"]);
      createServer(server).add(ComputeServiceDefinition, computeService);
      await raw.transport.send("server", Message.request("raw", "/swarm.examples.v1.ComputeService/Fibonacci", { n: 10 }));
      const { message } = await raw.receive({ signal: AbortSignal.timeout(2000) });
      expect(message.payload("response")?.outcome?.$case).toBe("result");
      // a JSON-only peer can read the answer: the reply takes the form of the request
      expect(message.json()).toEqual({ value: 55 });
      expect(message.bytes()).toBeUndefined();
    });

    it("the peer vanishing mid-call is UNAVAILABLE, for unary and streams", async () => {
      const { compute, server } = await setup({
        ...computeService,
        fibonacci: (_r, context) => waitForAbort(context),
        async *countTo(_r, context) {
          yield { value: 1 };
          await waitForAbort(context);
        },
      });
      const unary = compute.fibonacci({ n: 1 });
      const stream = compute.countTo({ n: 5, delayMs: 0 })[Symbol.asyncIterator]();
      expect((await stream.next()).value).toEqual({ value: 1 });
      const next = stream.next();
      await server.transport.close();
      expect((await caught(unary)).code).toBe(Status.UNAVAILABLE);
      expect((await caught(next)).code).toBe(Status.UNAVAILABLE);
    });

    it("calling an address nobody has is UNAVAILABLE", async () => {
      const [client] = await open();
      const compute = createClient(ComputeServiceDefinition, client, { peer: "nobody" });
      expect((await caught(compute.fibonacci({ n: 1 }))).code).toBe(Status.UNAVAILABLE);
    });

    it("too many calls in flight is RESOURCE_EXHAUSTED, on the client and on the server", async () => {
      const [client, server] = await open();
      const rpcServer = createServer(server, { maxConcurrentCalls: 3 }).add(ComputeServiceDefinition, { ...computeService, fibonacci: (_r, context) => waitForAbort(context) });
      const limited = createClient(ComputeServiceDefinition, client, { peer: "server", maxInFlight: 2 });
      const controller = new AbortController();
      const a = limited.fibonacci({ n: 1 }, { signal: controller.signal }).catch((e: RpcError) => e.code);
      const b = limited.fibonacci({ n: 1 }, { signal: controller.signal }).catch((e: RpcError) => e.code);
      expect((await caught(limited.fibonacci({ n: 1 }))).code).toBe(Status.RESOURCE_EXHAUSTED);
      const other = createClient(ComputeServiceDefinition, client, { peer: "server" });
      const c = other.fibonacci({ n: 1 }, { signal: controller.signal }).catch((e: RpcError) => e.code);
      await until(() => rpcServer.activeCalls === 3);
      const refused = await caught(other.fibonacci({ n: 1 }));
      expect(refused.code).toBe(Status.RESOURCE_EXHAUSTED);
      expect(refused.message).toContain("limit of 3 concurrent calls");
      controller.abort();
      expect(await Promise.all([a, b, c])).toEqual([Status.CANCELLED, Status.CANCELLED, Status.CANCELLED]);
    });

    it("a slow consumer bounds what the producer has outstanding (flow control)", async () => {
      let produced = 0;
      const { compute } = await setup({
        ...computeService,
        async *countTo(request) {
          for (let i = 1; i <= request.n; i++) {
            produced = i;
            yield { value: i };
          }
        },
      });
      let consumed = 0;
      let maxAhead = 0;
      for await (const r of compute.countTo({ n: 1000, delayMs: 0 })) {
        consumed = r.value;
        if (consumed % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
        maxAhead = Math.max(maxAhead, produced - consumed);
      }
      expect(consumed).toBe(1000);
      // the generator is one message ahead of what the window lets through
      expect(maxAhead).toBeLessThanOrEqual(STREAM_WINDOW + 1);
      expect(maxAhead).toBeGreaterThan(1);
    });

    it("client and server interceptors compose: auth, logging, refusal", async () => {
      const [client, server] = await open();
      const log: string[] = [];
      const requireToken: ServerInterceptor = (call, next) => {
        if (call.context.metadata["authorization"] !== "Bearer secret") throw new RpcError(Status.UNAUTHENTICATED, "missing token");
        return next(call);
      };
      const serverLog: ServerInterceptor = (call, next) => {
        log.push(`server ${call.method.name}`);
        return next(call);
      };
      createServer(server, { interceptors: [serverLog, requireToken] }).add(ComputeServiceDefinition, computeService);
      const auth: ClientInterceptor = (call, next) => next({ ...call, options: { ...call.options, metadata: { ...call.options.metadata, authorization: "Bearer secret" } } });
      const clientLog: ClientInterceptor = (call, next) => {
        log.push(`client ${call.method.name}`);
        const outcome = next(call);
        return outcome instanceof Promise ? outcome.then((r) => (log.push(`client done ${call.method.name}`), r)) : outcome;
      };
      const compute = createClient(ComputeServiceDefinition, client, { peer: "server", interceptors: [clientLog, auth] });
      expect(await compute.fibonacci({ n: 5 })).toEqual({ value: 5 });
      expect((await drain(compute.countTo({ n: 2, delayMs: 0 }))).length).toBe(2);
      expect(log).toEqual(["client Fibonacci", "server Fibonacci", "client done Fibonacci", "client CountTo", "server CountTo"]);
      const anonymous = createClient(ComputeServiceDefinition, client, { peer: "server" });
      expect((await caught(anonymous.fibonacci({ n: 5 }))).code).toBe(Status.UNAUTHENTICATED);
    });

    it("a retry interceptor retries UNAVAILABLE unary calls", async () => {
      const [client, server] = await open();
      let attempts = 0;
      createServer(server).add(ComputeServiceDefinition, {
        ...computeService,
        fibonacci(request) {
          if (++attempts < 3) throw new RpcError(Status.UNAVAILABLE, "try again");
          return { value: fibonacci(request.n) };
        },
      });
      const retry: ClientInterceptor = async (call, next) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await (next(call) as Promise<unknown>);
          } catch (error) {
            if (!(error instanceof RpcError) || error.code !== Status.UNAVAILABLE || attempt >= 5) throw error;
          }
        }
      };
      const compute = createClient(ComputeServiceDefinition, client, { peer: "server", interceptors: [retry] });
      expect(await compute.fibonacci({ n: 10 })).toEqual({ value: 55 });
      expect(attempts).toBe(3);
    });

    it("a failing request stream cancels the call on both sides", async () => {
      let serverSaw: unknown;
      let serverRead = 0;
      const { compute } = await setup({
        ...computeService,
        async sum(requests) {
          try {
            for await (const _ of requests) serverRead++;
          } catch (error) {
            serverSaw = error;
          }
          return { total: 0, count: 0 };
        },
      });
      async function* broken() {
        yield { value: 1 };
        // the call is under way on the server before the source fails (a call cancelled before
        // its request left is never sent at all)
        await until(() => serverRead === 1);
        throw new Error("source failed");
      }
      const error = await caught(compute.sum(broken()));
      expect(error.code).toBe(Status.CANCELLED);
      expect(error.message).toContain("source failed");
      await until(() => serverSaw !== undefined);
      expect((serverSaw as RpcError).code).toBe(Status.CANCELLED);
    });

    it("closing the server fails its calls in progress with UNAVAILABLE", async () => {
      const { compute, rpcServer } = await setup({ ...computeService, fibonacci: (_r, context) => waitForAbort(context) });
      const pending = compute.fibonacci({ n: 1 });
      await until(() => rpcServer.activeCalls === 1);
      await rpcServer.close();
      expect((await caught(pending)).code).toBe(Status.UNAVAILABLE);
      expect((await caught(compute.fibonacci({ n: 1 }))).code).toBe(Status.UNIMPLEMENTED);
    });

    it("both agents may serve and call each other at once", async () => {
      const [a, b] = await open(["a", "b"]);
      createServer(a).add(ComputeServiceDefinition, computeService);
      createServer(b).add(ComputeServiceDefinition, computeService);
      const toB = createClient(ComputeServiceDefinition, a, { peer: "b" });
      const toA = createClient(ComputeServiceDefinition, b, { peer: "a" });
      const [x, y, s1, s2] = await Promise.all([
        toB.fibonacci({ n: 20 }),
        toA.fibonacci({ n: 21 }),
        drain(toB.chat([{ text: "1" }, { text: "2" }])),
        drain(toA.chat([{ text: "3" }])),
      ]);
      expect([x.value, y.value]).toEqual([6765, 10946]);
      expect(s1.map((m) => m.text)).toEqual(["echo: 1", "echo: 2"]);
      expect(s2.map((m) => m.text)).toEqual(["echo: 3"]);
    });

    it("stubs are fully typed from the generated definition", () => {
      type Compute = ReturnType<typeof createClient<typeof ComputeServiceDefinition>>;
      expectTypeOf<Compute["fibonacci"]>().parameter(0).toEqualTypeOf<FibonacciRequest>();
      expectTypeOf<Compute["fibonacci"]>().returns.toEqualTypeOf<Promise<{ value: number }>>();
      expectTypeOf<Compute["countTo"]>().parameter(0).toEqualTypeOf<CountToRequest>();
      expectTypeOf<Compute["countTo"]>().returns.toMatchTypeOf<AsyncIterable<{ value: number }>>();
      expectTypeOf<Compute["sum"]>().returns.toMatchTypeOf<Promise<{ total: number; count: number }>>();
    });
  });
}
