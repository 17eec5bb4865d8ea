// The example page's tiny static server: bundles app.ts and worker.ts with esbuild (in memory)
// and serves them with the cross-origin-isolation headers (COOP/COEP) that SharedArrayBuffer
// needs. Run `npm run example:browser`: it also starts a hub and a Node agent, then open the
// printed URL. PORT (default 8787) and HUB_PORT (default 8788) pick the ports.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { startHub, startNodeAgent } from "./node-agent.js";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Options of `startExampleServer`. */
export interface ExampleServerOptions {
  /** The hub the page connects to, ws://host:port. */
  hubUrl: string;
  /** The Node agent serving ComputeService. Default "node-agent". */
  nodeAgent?: string;
  /** Default "127.0.0.1". */
  host?: string;
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** Send COOP/COEP (and CORP) headers, so the page has SharedArrayBuffer. Default true. */
  crossOriginIsolated?: boolean;
  /** More scripts to bundle and serve, as `/name.js` → source file (tests add a harness). */
  scripts?: Record<string, string>;
  /** More pages, as path → HTML. */
  pages?: Record<string, string>;
}

/** A running example server. */
export interface ExampleServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Asset {
  body: Uint8Array | string;
  type: string;
}

/** Bundles browser scripts (`name` → source file) for the browser, in memory. */
export async function bundleScripts(scripts: Record<string, string>): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: scripts,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: "/bundle",
    write: false,
    sourcemap: "inline",
    logLevel: "silent",
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) assets.set(file.path.slice("/bundle".length), { body: file.contents, type: "text/javascript" });
  return assets;
}

/** Serves the example page (and `options.scripts` / `options.pages`) until `close()`. */
export async function startExampleServer(options: ExampleServerOptions): Promise<ExampleServer> {
  const assets = await bundleScripts({ app: `${here}app.ts`, worker: `${here}worker.ts`, ...options.scripts });
  const html = { type: "text/html; charset=utf-8" };
  assets.set("/", { ...html, body: await readFile(`${here}index.html`, "utf8") });
  for (const [path, body] of Object.entries(options.pages ?? {})) assets.set(path, { ...html, body });
  assets.set("/favicon.ico", { type: "image/x-icon", body: "" });
  assets.set("/config.json", { type: "application/json", body: JSON.stringify({ hubUrl: options.hubUrl, nodeAgent: options.nodeAgent ?? "node-agent" }) });
  const isolate = options.crossOriginIsolated ?? true;

  const server = createServer(function serveAsset(request: IncomingMessage, response: ServerResponse) {
    const asset = assets.get(new URL(request.url ?? "/", "http://localhost").pathname);
    const headers: Record<string, string> = { "cache-control": "no-store" };
    if (isolate) {
      headers["cross-origin-opener-policy"] = "same-origin";
      headers["cross-origin-embedder-policy"] = "require-corp";
      headers["cross-origin-resource-policy"] = "same-origin";
    }
    if (asset === undefined || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { ...headers, "content-type": "text/plain" }).end("not found");
      return;
    }
    response.writeHead(200, { ...headers, "content-type": asset.type }).end(asset.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const hub = await startHub("127.0.0.1", Number(process.env["HUB_PORT"] ?? 8788));
  const agent = await startNodeAgent(hub.url, "node-agent", { tickMs: 1000 });
  agent.bus.subscribe("page.>", (event) => console.log(`from ${event.from}: ${event.subject} ${JSON.stringify(event.message.json())}`));
  const page = await startExampleServer({ hubUrl: hub.url, port: Number(process.env["PORT"] ?? 8787) });
  console.log(`hub ${hub.url}; Node agent "node-agent" serves ComputeService\nopen ${page.url} (Ctrl-C stops)`);
  process.once("SIGINT", () => {
    void Promise.all([page.close(), agent.close()]).then(() => hub.close());
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
