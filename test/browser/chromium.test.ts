// Real Chromium (Debian's /usr/bin/chromium, driven by playwright-core): the browser entry
// talking to a Node agent through a hub over WebSocket, and to a Web Worker over shared memory.
import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type * as Swarm from "../../src/browser.js";
import type { ComputeServiceDefinition as Definition } from "../../generated/swarm/examples/v1/compute.js";
import type { WebSocketHub } from "../../src/node.js";
import type { ReceivedEvent } from "../../src/index.js";
import { Message } from "../../src/index.js";
import { startExampleServer, type ExampleServer } from "../../examples/browser/server.js";
import { startHub, startNodeAgent, type NodeAgent } from "../../examples/browser/node-agent.js";
import { until } from "../rpc/rpc-suite.js";
import { hasChromium, launchChromium, SKIP_REASON } from "./chromium.js";

/** What the harness page (fixtures/harness.ts) puts on globalThis. */
interface Harness {
  swarm: typeof Swarm;
  ComputeServiceDefinition: typeof Definition;
  /** Objects kept between evaluate calls. */
  held: Record<string, any>;
}

const HARNESS_HTML = `<!doctype html><meta charset="utf-8"><title>harness</title><script type="module" src="/harness.js"></script>`;
const WAIT = { timeout: 15_000 };
if (!hasChromium) console.warn(`test/browser/chromium.test.ts skipped: ${SKIP_REASON}`);

describe.skipIf(!hasChromium)(hasChromium ? "browser: real Chromium" : `browser: real Chromium — SKIPPED, ${SKIP_REASON}`, () => {
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let hub: WebSocketHub;
  let agent: NodeAgent;
  let site: ExampleServer;
  let plainSite: ExampleServer;
  let page: Page;

  beforeAll(async () => {
    hub = await startHub();
    agent = await startNodeAgent(hub.url, "node-agent", { tickMs: 100 });
    const scripts = { harness: join(__dirname, "fixtures/harness.ts") };
    site = await startExampleServer({ hubUrl: hub.url, scripts, pages: { "/harness.html": HARNESS_HTML } });
    plainSite = await startExampleServer({ hubUrl: hub.url, scripts, pages: { "/harness.html": HARNESS_HTML }, crossOriginIsolated: false });
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await Promise.all([site?.close(), plainSite?.close()]);
    await agent?.close();
    await hub?.close();
  });

  const openHarness = async (server: ExampleServer) => {
    await page.goto(`${server.url}harness.html`);
    await page.waitForFunction(() => (globalThis as { harnessReady?: boolean }).harnessReady === true, undefined, WAIT);
  };

  beforeEach(async () => {
    page = await chromium.context.newPage();
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  });
  afterEach(async () => {
    await page.close();
  });

  it("typed unary, server-streaming and bidi RPC from the page to a Node agent through the hub; compression is off towards the page", async () => {
    await openHarness(site);
    const agentSentBefore = agent.transport.stats().bytesSent;
    const result = await page.evaluate(async (hubUrl) => {
      const { swarm, ComputeServiceDefinition } = globalThis as unknown as Harness;
      const transport = await swarm.WebSocketClientTransport.connect({ url: hubUrl, agentId: "page-rpc" });
      const compute = swarm.createClient(ComputeServiceDefinition, swarm.createDemux(transport), { peer: "node-agent", timeoutMs: 5000 });
      const fib = (await compute.fibonacci({ n: 42 })).value;
      const ticks: number[] = [];
      for await (const tick of compute.countTo({ n: 5, delayMs: 0 })) ticks.push(tick.value);
      const chat: string[] = [];
      for await (const reply of compute.chat([{ text: "hello" }, { text: "swarm" }])) chat.push(`${reply.seq} ${reply.text}`);
      const payload = new Uint8Array(64 * 1024).fill(7); // compresses ~1000:1
      const before = transport.stats().bytesReceived;
      const echoed = (await compute.echo({ payload })).payload;
      const echoBytesReceived = transport.stats().bytesReceived - before;
      const deadline = await (async () => {
        try {
          for await (const _ of compute.countTo({ n: 10, delayMs: 200 }, { deadline: 100 })) void _;
          return "no error";
        } catch (error) {
          return (error as { code?: number }).code === swarm.Status.DEADLINE_EXCEEDED ? "DEADLINE_EXCEEDED" : String(error);
        }
      })();
      await transport.close();
      return { fib, ticks, chat, echoedLength: echoed.length, echoedIntact: echoed.every((b) => b === 7), echoBytesReceived, deadline };
    }, hub.url);
    expect(result).toMatchObject({ fib: 267914296, ticks: [1, 2, 3, 4, 5], chat: ["1 echo: hello", "2 echo: swarm"], echoedLength: 65536, echoedIntact: true, deadline: "DEADLINE_EXCEEDED" });
    // The Node agent and the hub negotiated gzip (the 64 KiB echo left the agent compressed);
    // the page announced no compression, so the hub sent it plain frames.
    expect(agent.transport.stats().bytesSent - agentSentBefore).toBeLessThan(65536);
    expect(result.echoBytesReceived).toBeGreaterThan(65536);
  });

  it("pub/sub both ways between the page and a Node agent", async () => {
    await openHarness(site);
    await page.evaluate(async (hubUrl) => {
      const { swarm, held } = globalThis as unknown as Harness;
      const transport = await swarm.WebSocketClientTransport.connect({ url: hubUrl, agentId: "page-bus" });
      const bus = swarm.createPubSub(swarm.createDemux(transport));
      held["events"] = [] as string[];
      bus.subscribe("node.status.*", (event) => void held["events"].push(`${event.from} ${event.subject} ${JSON.stringify(event.message.json())}`));
      Object.assign(held, { transport, bus });
    }, hub.url);

    // Node → page
    await until(() => agent.bus.hasRemoteInterest("node.status.cpu"), 10_000);
    expect(await agent.bus.publish(Message.event("node-agent", "node.status.cpu", { load: 0.5 }))).toBe(1);
    await page.waitForFunction(() => (globalThis as unknown as Harness).held["events"].length > 0, undefined, WAIT);
    expect(await page.evaluate(() => (globalThis as unknown as Harness).held["events"])).toEqual(['node-agent node.status.cpu {"load":0.5}']);

    // page → Node
    const seen: ReceivedEvent[] = [];
    const subscription = agent.bus.subscribe("page.>", (event) => void seen.push(event));
    try {
      await page.waitForFunction(() => (globalThis as unknown as Harness).held["bus"].hasRemoteInterest("page.clicks"), undefined, WAIT);
      const delivered = await page.evaluate(async () => {
        const { swarm, held } = globalThis as unknown as Harness;
        return held["bus"].publish(swarm.Message.event("page-bus", "page.clicks", { button: "left" }));
      });
      expect(delivered).toBe(1);
      await until(() => seen.length === 1, 10_000);
      expect({ from: seen[0]!.from, subject: seen[0]!.subject, data: seen[0]!.message.json() }).toEqual({ from: "page-bus", subject: "page.clicks", data: { button: "left" } });
    } finally {
      await subscription.unsubscribe();
      await page.evaluate(async () => {
        const { held } = globalThis as unknown as Harness;
        await held["bus"].close();
        await held["transport"].close();
      });
    }
  });

  it("the page reconnects after the hub restarts on the same port and calls the Node agent again", async () => {
    let restartHub = await startHub();
    const port = restartHub.port;
    const restartAgent = await startNodeAgent(restartHub.url, "node-agent-r");
    try {
      await openHarness(site);
      const first = await page.evaluate(async (hubUrl) => {
        const { swarm, ComputeServiceDefinition, held } = globalThis as unknown as Harness;
        const transport = await swarm.WebSocketClientTransport.connect(
          { url: hubUrl, agentId: "page-reconnect" },
          { retryAttempts: 50, reconnectBaseDelayMs: 50, reconnectMaxDelayMs: 500 },
        );
        held["transport"] = transport;
        held["compute"] = swarm.createClient(ComputeServiceDefinition, swarm.createDemux(transport), { peer: "node-agent-r", timeoutMs: 5000 });
        return (await held["compute"].fibonacci({ n: 10 })).value;
      }, restartHub.url);
      expect(first).toBe(55);

      await restartHub.close();
      await page.waitForFunction(() => !(globalThis as unknown as Harness).held["transport"].isConnected(), undefined, WAIT);
      restartHub = await startHub("127.0.0.1", port);
      await until(() => restartAgent.transport.isConnected(), 15_000);
      await page.waitForFunction(() => (globalThis as unknown as Harness).held["transport"].isConnected(), undefined, WAIT);

      const second = await page.evaluate(async () => {
        const { held } = globalThis as unknown as Harness;
        const value = (await held["compute"].fibonacci({ n: 20 })).value;
        const reconnections = held["transport"].stats().reconnections;
        await held["transport"].close();
        return { value, reconnections };
      });
      expect(second.value).toBe(6765);
      expect(second.reconnections).toBeGreaterThanOrEqual(1);
    } finally {
      await restartAgent.close();
      await restartHub.close();
    }
  });

  it("shared-memory RPC between the page and a Web Worker (unary, streaming, a message larger than a ring)", async () => {
    await openHarness(site);
    const result = await page.evaluate(async () => {
      const { swarm, ComputeServiceDefinition } = globalThis as unknown as Harness;
      const segment = swarm.SharedMemorySegment.create({ name: "test", size: 1 << 20, ringBufferSize: 64 << 10 });
      const worker = await swarm.connectWebWorker(new Worker("/worker.js", { type: "module" }), segment, { data: { address: "web-worker" } });
      const transport = await swarm.SharedMemoryTransport.attach(segment, "page");
      const compute = swarm.createClient(ComputeServiceDefinition, swarm.createDemux(transport), { peer: "web-worker", timeoutMs: 5000 });
      const fib = (await compute.fibonacci({ n: 30 })).value;
      const ticks: number[] = [];
      for await (const tick of compute.countTo({ n: 4, delayMs: 0 })) ticks.push(tick.value);
      const sum = await compute.sum([{ value: 1 }, { value: 2 }, { value: 3 }]);
      const payload = new Uint8Array(256 * 1024).map((_, i) => i & 0xff);
      const echoed = (await compute.echo({ payload })).payload;
      const peerGone = new Promise<string | undefined>((resolve) => transport.onPeerGone((event) => resolve(event.address)));
      worker.terminate(); // marks the worker's endpoint dead: the page sees it at once
      const gone = await peerGone;
      const afterTerminate = await compute.fibonacci({ n: 1 }).then(
        () => "answered",
        (error: { code?: number }) => (error.code === swarm.Status.UNAVAILABLE ? "UNAVAILABLE" : String(error.code)),
      );
      await transport.close();
      segment.close();
      return { isolated: crossOriginIsolated, fib, ticks, sum, echoedIntact: echoed.length === payload.length && echoed.every((b, i) => b === (i & 0xff)), gone, afterTerminate };
    });
    expect(result).toEqual({ isolated: true, fib: 832040, ticks: [1, 2, 3, 4], sum: { total: 6, count: 3 }, echoedIntact: true, gone: "web-worker", afterTerminate: "UNAVAILABLE" });
  });

  it("connectWebWorker rejects with ConnectionError when the worker script fails to load", async () => {
    await openHarness(site);
    const result = await page.evaluate(async () => {
      const { swarm } = globalThis as unknown as Harness;
      const segment = swarm.SharedMemorySegment.create({ name: "missing", size: 1 << 16, ringBufferSize: 4096 });
      try {
        await swarm.connectWebWorker(new Worker("/no-such-worker.js", { type: "module" }), segment, { timeoutMs: 10_000 });
        return "connected";
      } catch (error) {
        return (error as { code?: string }).code;
      } finally {
        segment.close();
      }
    });
    expect(result).toBe("ConnectionError");
  });

  it('a page without cross-origin isolation gets NotAvailable ("SharedArrayBuffer unavailable"); its WebSocket calls still work', async () => {
    await openHarness(plainSite);
    const result = await page.evaluate(() => {
      const { swarm } = globalThis as unknown as Harness;
      try {
        swarm.SharedMemorySegment.create({ name: "x", size: 1 << 16, ringBufferSize: 4096 });
        return { isolated: crossOriginIsolated, code: "none", message: "" };
      } catch (error) {
        return { isolated: crossOriginIsolated, code: (error as { code?: string }).code, message: (error as Error).message };
      }
    });
    expect(result.isolated).toBe(false);
    expect(result.code).toBe("NotAvailable");
    expect(result.message).toMatch(/^NotAvailable: SharedArrayBuffer is unavailable because the page is not cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/);

    // The example page, not isolated: the worker route shows the error, the WebSocket route keeps calling.
    await page.goto(plainSite.url);
    await page.waitForFunction(() => {
      const demo = (globalThis as { demo?: { node: number; errors: string[] } }).demo;
      return demo !== undefined && demo.node >= 2 && demo.errors.length > 0;
    }, undefined, WAIT);
    expect(await page.textContent("#worker-error")).toContain("SharedArrayBuffer is unavailable because the page is not cross-origin isolated");
  });

  it("the example page shows live calls to the Web Worker and the Node agent (screenshot)", async () => {
    await page.setViewportSize({ width: 1100, height: 480 });
    await page.goto(site.url);
    await page.waitForFunction(() => {
      const demo = (globalThis as { demo?: { worker: number; node: number; events: number } }).demo;
      return demo !== undefined && demo.worker >= 6 && demo.node >= 6 && demo.events >= 1;
    }, undefined, WAIT);
    expect(await page.evaluate(() => (globalThis as { demo?: { errors: string[] } }).demo!.errors)).toEqual([]);
    expect(Number(await page.textContent("#worker-count"))).toBeGreaterThanOrEqual(6);
    expect(await page.textContent("#worker-log")).toMatch(/fibonacci\(\d+\) = \d+/);
    expect(await page.textContent("#node-log")).toMatch(/countTo\(5\) → 1 2 3 4 5/);
    const path = join(await mkdtemp(join(tmpdir(), "swarm-browser-")), "example-page.png");
    await page.screenshot({ path });
    console.log(`example page screenshot: ${path}`);
    expect((await stat(path)).size).toBeGreaterThan(1000);
  });
});
