// Real Chromium (Debian's /usr/bin/chromium via playwright-core) calling an agent through the
// hub's HTTP edge with @connectrpc/connect-web: the gRPC-Web transport (and Connect's), unary
// and server-streaming, from a page on another origin (CORS), no proxy in between.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleScripts } from "../../examples/browser/server.js";
import { startEdge, type EdgeFixture } from "../gateway/edge-fixture.js";
import { COMPUTE_PROTO } from "../gateway/fixture.js";
import { hasChromium, launchChromium, SKIP_REASON } from "./chromium.js";

if (!hasChromium) console.warn(`test/browser/grpc-web.test.ts skipped: ${SKIP_REASON}`);

describe.skipIf(!hasChromium)(hasChromium ? "browser: connect-web → hub edge" : `browser: connect-web → hub edge — SKIPPED, ${SKIP_REASON}`, () => {
  let f: EdgeFixture;
  let site: Server;
  let siteUrl: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  beforeAll(async () => {
    f = await startEdge({ gateway: { protoFiles: [COMPUTE_PROTO], corsOrigins: "*" } });
    await f.agent("web-target");
    const assets = await bundleScripts({ harness: join(__dirname, "fixtures/grpc-web-harness.ts") });
    const html = `<!doctype html><meta charset="utf-8"><title>grpc-web</title><script type="module" src="/harness.js"></script>`;
    site = createServer((request, response) => {
      const asset = request.url === "/" ? { body: html, type: "text/html" } : assets.get(request.url ?? "");
      if (asset === undefined) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": asset.type }).end(asset.body);
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    // "localhost" for the page, 127.0.0.1 for the hub: two origins, so the calls are cross-origin
    siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`;
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
    await page.goto(siteUrl);
    await page.waitForFunction(() => (globalThis as { harnessReady?: boolean }).harnessReady === true, undefined, { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await new Promise((resolve) => site?.close(resolve));
    await f?.close();
  });

  it.each([["gRPC-Web"], ["Connect"]])("%s: unary and server-streaming calls from the page", async (protocol) => {
    const result = await page.evaluate(
      async ({ baseUrl, protocol }) => {
        const { createClient, createConnectTransport, createGrpcWebTransport, ComputeService } = (globalThis as any).connectWeb;
        const transport = protocol === "gRPC-Web" ? createGrpcWebTransport({ baseUrl }) : createConnectTransport({ baseUrl });
        const client = createClient(ComputeService, transport);
        const fib = (await client.fibonacci({ n: 40 })).value.toString();
        const counted: number[] = [];
        for await (const message of client.countTo({ n: 3, delayMs: 0 })) counted.push(message.value);
        let failure = "";
        try {
          await client.fibonacci({ n: 1 }, { headers: { "x-fail": "8" } });
        } catch (error) {
          failure = `${(error as { code: number }).code} ${(error as { rawMessage: string }).rawMessage}`;
        }
        return { fib, counted, failure };
      },
      { baseUrl: f.baseUrl, protocol },
    );
    expect(result).toEqual({ fib: "102334155", counted: [1, 2, 3], failure: "8 failed on purpose: ü % 8" });
  });
});
