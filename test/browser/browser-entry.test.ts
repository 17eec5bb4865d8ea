import { build, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BUNDLE_SCENARIOS, measureBrowserBundle } from "../../bench/bundle-size.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const builtins = new Set(builtinModules);

/** Records every Node-only import (node:*, a Node built-in, ws) instead of resolving it. */
function nodeOnlyImports(found: string[]): Plugin {
  return {
    name: "node-only-imports",
    setup(plugin) {
      plugin.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith("node:") || builtins.has(args.path) || builtins.has(args.path.split("/")[0]!) || args.path === "ws") {
          found.push(`${args.importer.slice(root.length)} imports ${args.path}`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
}

/** Bundles `entry` for the browser as a user's bundler would; returns the Node-only imports and the modules reached. */
async function bundleForBrowser(entry: string): Promise<{ offenders: string[]; modules: string[] }> {
  const offenders: string[] = [];
  const result = await build({
    entryPoints: [`${root}${entry}`],
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [nodeOnlyImports(offenders)],
  });
  return { offenders, modules: Object.keys(result.metafile.inputs) };
}

describe("browser entry (src/browser.ts)", () => {
  it("bundles for the browser with no node: import (nor ws) reachable, and covers every browser feature", async () => {
    const { offenders, modules } = await bundleForBrowser("src/browser.ts");
    expect(offenders).toEqual([]);
    for (const feature of [
      "src/protocol/codec.ts",
      "src/transports/in-process/in-process-transport.ts",
      "src/transports/websocket/client.ts",
      "src/transports/shared-memory/shared-memory-transport.ts",
      "src/browser/web-worker.ts",
      "src/rpc/client.ts",
      "src/rpc/server.ts",
      "src/pubsub/pubsub.ts",
    ]) {
      expect(modules).toContain(feature);
    }
  });

  it("the check does catch Node-only imports: the Node entry is refused", async () => {
    const { offenders } = await bundleForBrowser("src/node.ts");
    expect(offenders).toEqual(expect.arrayContaining([expect.stringMatching(/ imports node:zlib$/), expect.stringMatching(/ imports ws$/)]));
  });

  it("package.json maps the browser condition and ./browser to the browser entry", () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { exports: Record<string, Record<string, string>> };
    const exports = pkg.exports;
    expect(exports["."]!["browser"]).toBe("./dist/src/browser.js");
    expect(Object.keys(exports["."]!).indexOf("browser")).toBeLessThan(Object.keys(exports["."]!).indexOf("import"));
    expect(exports["./browser"]!["import"]).toBe("./dist/src/browser.js");
  });

  it("protocol + WebSocket client + RPC client, minified, stays within 36 kB gzip", async () => {
    const scenario = BUNDLE_SCENARIOS.find((s) => s.name === "protocol+websocket-client+rpc-client")!;
    const { gzipBytes } = await measureBrowserBundle(scenario, root);
    expect(gzipBytes).toBeLessThanOrEqual(scenario.budgetGzipBytes!);
  });
});
