// The example page: live typed calls page → Web Worker (shared memory) and page → Node agent
// (WebSocket through the hub), with the same stubs. Bundled to /app.js by server.ts.
import {
  connectWebWorker,
  createClient,
  createDemux,
  createPubSub,
  Message,
  SharedMemorySegment,
  SharedMemoryTransport,
  WebSocketClientTransport,
  type Client,
} from "swarm-transport/browser";
import { ComputeServiceDefinition } from "../../generated/swarm/examples/v1/compute.js";

type Compute = Client<typeof ComputeServiceDefinition>;
type Route = "worker" | "node";

/** What the page has done so far; the Chromium test reads it as `window.demo`. */
const demo = { worker: 0, node: 0, events: 0, errors: [] as string[] };
(globalThis as { demo?: typeof demo }).demo = demo;

const config = (await (await fetch("/config.json")).json()) as { hubUrl: string; nodeAgent: string };
const element = (id: string) => document.getElementById(id)!;
element("status").textContent = `crossOriginIsolated: ${String(crossOriginIsolated)} · hub ${config.hubUrl} · Node agent "${config.nodeAgent}"`;

function show(route: Route, line: string): void {
  const item = document.createElement("li");
  item.textContent = line;
  const log = element(`${route}-log`);
  log.prepend(item);
  while (log.childElementCount > 12) log.lastElementChild!.remove();
}

function fail(route: Route, error: unknown): void {
  const text = error instanceof Error ? error.message : String(error);
  demo.errors.push(`${route}: ${text}`);
  element(`${route}-error`).textContent = text;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `compute` forever, alternating a unary and a server-streaming call, one every 250 ms. */
async function callForever(route: Route, compute: Compute): Promise<never> {
  for (let i = 0; ; i++) {
    const started = performance.now();
    try {
      let line: string;
      if (i % 2 === 0) {
        const n = 20 + (i % 40);
        line = `fibonacci(${n}) = ${(await compute.fibonacci({ n })).value}`;
      } else {
        const ticks: number[] = [];
        for await (const tick of compute.countTo({ n: 5, delayMs: 0 })) ticks.push(tick.value);
        line = `countTo(5) → ${ticks.join(" ")}`;
      }
      demo[route]++;
      element(`${route}-count`).textContent = String(demo[route]);
      element(`${route}-error`).textContent = "";
      show(route, `${line}  (${(performance.now() - started).toFixed(2)} ms)`);
    } catch (error) {
      fail(route, error);
    }
    await sleep(250);
  }
}

async function workerRoute(): Promise<void> {
  // Throws NotAvailable ("SharedArrayBuffer is unavailable …") unless the page is cross-origin isolated.
  const segment = SharedMemorySegment.create({ name: "example-page", size: 1 << 20, ringBufferSize: 64 << 10 });
  await connectWebWorker(new Worker("/worker.js", { type: "module" }), segment, { data: { address: "web-worker" } });
  const page = await SharedMemoryTransport.attach(segment, "page");
  await callForever("worker", createClient(ComputeServiceDefinition, createDemux(page), { peer: "web-worker", timeoutMs: 5000 }));
}

async function nodeRoute(): Promise<void> {
  const agentId = `page-${Math.random().toString(36).slice(2, 8)}`;
  const hub = await WebSocketClientTransport.connect({ url: config.hubUrl, agentId }, { retryAttempts: 50, reconnectMaxDelayMs: 1000 });
  const demux = createDemux(hub);
  const bus = createPubSub(demux);
  bus.subscribe("node.>", (event) => {
    demo.events++;
    element("event-count").textContent = String(demo.events);
    element("last-event").textContent = `${event.subject} ${JSON.stringify(event.message.json())} from ${event.from}`;
  });
  void bus.publish(Message.event(agentId, "page.hello", { agentId, userAgent: navigator.userAgent.slice(0, 40) }));
  await callForever("node", createClient(ComputeServiceDefinition, demux, { peer: config.nodeAgent, timeoutMs: 5000 }));
}

workerRoute().catch((error) => fail("worker", error));
nodeRoute().catch((error) => fail("node", error));
