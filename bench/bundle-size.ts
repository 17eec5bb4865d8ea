/**
 * The browser bundle-size report: the browser entry (`src/browser.ts`) bundled and minified
 * by esbuild for the browser, bytes min and gzip, for a few feature sets; beside each, the same
 * features' Node build (tsc output, as in dist/): the modules those features load, unminified.
 * `npm run bench` prints it and writes bench/bundle-size.json.
 */
import { build, type Metafile } from "esbuild";
import { readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { gzipSync } from "node:zlib";

/** One feature set, as the names imported from the browser entry. */
export interface BundleScenario {
  name: string;
  description: string;
  /** Named exports of the browser entry, or "*" for all of it. */
  imports: string[] | "*";
  /** Largest allowed gzip size in bytes, or null. */
  budgetGzipBytes: number | null;
}

/** One row of bench/bundle-size.json. */
export interface BundleSizeRecord {
  name: string;
  description: string;
  /** Browser bundle, minified. */
  minBytes: number;
  /** The same, gzip level 9. */
  gzipBytes: number;
  budgetGzipBytes: number | null;
  /** The Node build of the same features: its module files as tsc emits them (and @bufbuild/protobuf's). */
  node: { files: number; bytes: number; gzipBytes: number };
}

export const BUNDLE_SCENARIOS: BundleScenario[] = [
  {
    name: "protocol+websocket-client+rpc-client",
    description: "Message, frame codec, WebSocketClientTransport, createClient, RpcError/Status, TransportError",
    imports: ["Message", "encodeFrame", "decodeFrame", "WebSocketClientTransport", "createClient", "RpcError", "Status", "TransportError"],
    budgetGzipBytes: 36_000,
  },
  {
    name: "everything",
    description: "the whole browser entry: protocol, in-process, WebSocket client and pool, shared memory and Web Worker helpers, RPC client and server, pub/sub",
    imports: "*",
    budgetGzipBytes: null,
  },
];

function entrySource(scenario: BundleScenario, entryFile: string): string {
  const from = JSON.stringify(entryFile);
  return scenario.imports === "*" ? `export * from ${from};` : `export { ${scenario.imports.join(", ")} } from ${from};`;
}

async function bundle(source: string, root: string, minify: boolean): Promise<{ code: Uint8Array; metafile: Metafile }> {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: "ts", sourcefile: "bundle-entry.ts" },
    bundle: true,
    minify,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return { code: result.outputFiles[0]!.contents, metafile: result.metafile };
}

/** The browser bundle of `scenario`, minified: bytes min and gzip (level 9). */
export async function measureBrowserBundle(scenario: BundleScenario, root: string): Promise<{ minBytes: number; gzipBytes: number }> {
  const { code } = await bundle(entrySource(scenario, join(root, "src", "browser.ts")), root, true);
  return { minBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

/**
 * Measures every scenario. `root` is the repository; `nodeBuildDir` the tsc output holding
 * `src/browser.js` (dist/ or .bench-build/).
 */
export async function measureBundleSizes(root: string, nodeBuildDir: string): Promise<BundleSizeRecord[]> {
  const records: BundleSizeRecord[] = [];
  for (const scenario of BUNDLE_SCENARIOS) {
    const browser = await measureBrowserBundle(scenario, root);
    // The Node build: which compiled modules these features need (tree-shaken, unminified), at their full size.
    const node = await bundle(entrySource(scenario, join(nodeBuildDir, "src", "browser.js")), root, false);
    const output = Object.values(node.metafile.outputs)[0]!;
    const files = Object.entries(output.inputs)
      .filter(([path, input]) => input.bytesInOutput > 0 && path !== "bundle-entry.ts")
      .map(([path]) => readFileSync(isAbsolute(path) ? path : join(root, path)));
    const all = Buffer.concat(files);
    records.push({
      name: scenario.name,
      description: scenario.description,
      minBytes: browser.minBytes,
      gzipBytes: browser.gzipBytes,
      budgetGzipBytes: scenario.budgetGzipBytes,
      node: { files: files.length, bytes: all.byteLength, gzipBytes: gzipSync(all, { level: 9 }).byteLength },
    });
  }
  return records;
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

/** The report as Markdown (printed by `npm run bench`, shown in docs/browsers.md). */
export function formatBundleSizes(records: BundleSizeRecord[], nodeBuildDir = "dist/"): string {
  const header = `| browser entry, features | min | gzip | budget (gzip) | Node build (${relative(process.cwd(), nodeBuildDir) || nodeBuildDir}): files, bytes, gzip |\n| --- | ---: | ---: | ---: | ---: |`;
  const rows = records.map((r) => {
    const budget = r.budgetGzipBytes === null ? "—" : `${kB(r.budgetGzipBytes)} ${r.gzipBytes <= r.budgetGzipBytes ? "ok" : "**over**"}`;
    return `| ${r.name} | ${kB(r.minBytes)} | ${kB(r.gzipBytes)} | ${budget} | ${r.node.files} files, ${kB(r.node.bytes)}, ${kB(r.node.gzipBytes)} |`;
  });
  return [header, ...rows].join("\n");
}
