// W3C traceparent parsing and formatting (pure), and what travels without an SDK: nothing is
// added when there is no trace to carry on, and a received trace passes through a hop that
// records nothing.
import { describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, InProcessNetwork, type CallContext } from "../../src/index.js";
import { enableOpenTelemetry, formatTraceParent, parseTraceParent } from "../../src/otel.js";
import { registerTestSdk } from "./sdk.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("traceparent", () => {
  it("parses version 00 and formats it back", () => {
    const parsed = parseTraceParent(`00-${TRACE}-${SPAN}-01`);
    expect(parsed).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1 });
    expect(formatTraceParent(parsed!)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(parseTraceParent(` 00-${TRACE}-${SPAN}-00 `)).toEqual({ traceId: TRACE, spanId: SPAN, flags: 0 });
  });

  it("reads a later version's first fields, and refuses what a receiver must not continue", () => {
    expect(parseTraceParent(`cc-${TRACE}-${SPAN}-01-what-comes-next`)).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1 });
    for (const bad of [
      undefined,
      "",
      `ff-${TRACE}-${SPAN}-01`, // version ff is invalid
      `00-${TRACE}-${SPAN}-01-extra`, // version 00 has exactly four fields
      `00-${"0".repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-1`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
    ]) {
      expect(parseTraceParent(bad), String(bad)).toBeUndefined();
    }
  });
});

/** caller → a → b; returns the metadata each server saw. */
async function chain(metadata?: Record<string, string>) {
  const network = new InProcessNetwork();
  const connect = (address: string) => createDemux(network.connect(address));
  const seen: { at: string; metadata: Record<string, string>; span: unknown }[] = [];
  const record = (at: string, ctx: CallContext) => seen.push({ at, metadata: { ...ctx.metadata }, span: ctx.span });
  createServer(connect("b")).add(ComputeServiceDefinition, { ...computeService, fibonacci: (request, ctx) => (record("b", ctx), { value: request.n }) });
  const aDemux = connect("a");
  const toB = createClient(ComputeServiceDefinition, aDemux, { peer: "b" });
  createServer(aDemux).add(ComputeServiceDefinition, { ...computeService, fibonacci: (request, ctx) => (record("a", ctx), toB.fibonacci(request, { parent: ctx })) });
  await createClient(ComputeServiceDefinition, connect("caller"), { peer: "a" }).fibonacci({ n: 1 }, metadata === undefined ? {} : { metadata });
  await network.close();
  return seen;
}

describe("without an OpenTelemetry SDK", () => {
  it("without a tracer: no span, no trace header", async () => {
    for (const { metadata, span } of await chain()) {
      expect(span).toBeUndefined();
      expect(metadata).not.toHaveProperty("traceparent");
    }
  });

  it("the OpenTelemetry tracer adds nothing when there is no trace to carry on, and passes a received one through", async () => {
    const disable = enableOpenTelemetry();
    try {
      for (const { metadata } of await chain()) expect(metadata).not.toHaveProperty("traceparent");
      const [atA, atB] = await chain({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: "congo=t61rcWkgMzE" });
      expect(atA!.metadata["traceparent"]).toBe(`00-${TRACE}-${SPAN}-01`);
      // a records nothing, so its call to b names the same remote span: the trace goes on unbroken
      expect(atB!.metadata["traceparent"]).toBe(`00-${TRACE}-${SPAN}-01`);
      expect(atB!.metadata["tracestate"]).toBe("congo=t61rcWkgMzE");
    } finally {
      disable();
    }
  });

  it("an SDK registered after enableOpenTelemetry() records from then on", async () => {
    const disable = enableOpenTelemetry();
    const sdk = registerTestSdk();
    try {
      const [atA, atB] = await chain();
      expect(atA!.metadata["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const traceId = atA!.metadata["traceparent"]!.split("-")[1];
      expect(atB!.metadata["traceparent"]?.split("-")[1]).toBe(traceId);
      expect(sdk.spans().filter((span) => span.traceId === traceId).map((span) => span.kind).sort()).toEqual(["client", "client", "server", "server"]);
    } finally {
      disable();
      await sdk.shutdown();
    }
  });
});
