import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/** Every module the main entry reaches, following relative imports (type-only imports included). */
function moduleGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const source = readFileSync(file, "utf8");
    const specifiers = [...source.matchAll(/(?:import|export)[^"';]*?from\s+"([^"]+)"/g)].map((m) => m[1]!);
    graph.set(file, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
    }
  };
  visit(entry);
  return graph;
}

describe("WebSocket client: browser-safe", () => {
  it("the main entry (and with it the WebSocket client) imports nothing Node-only", () => {
    const graph = moduleGraph(join(__dirname, "../../src/index.ts"));
    expect([...graph.keys()].some((file) => file.endsWith("transports/websocket/client.ts"))).toBe(true);
    const offenders: string[] = [];
    for (const [file, specifiers] of graph) {
      for (const specifier of specifiers) {
        if (specifier.startsWith("node:") || specifier === "ws" || specifier.startsWith("ws/")) offenders.push(`${file} imports ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
