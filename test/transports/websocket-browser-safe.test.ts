import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const WEBSOCKET = join(__dirname, "../../src/transports/websocket");
const HUB = join(WEBSOCKET, "hub");

/**
 * What a module imports or re-exports: `from "..."` clauses and bare `import "..."`. With
 * `runtimeOnly`, `import type` / `export type` clauses are left out (the compiler erases them).
 */
function specifiers(source: string, runtimeOnly: boolean): string[] {
  const clauses = [...source.matchAll(/(?:import|export)(\s+type\b)?[^"';]*?from\s+"([^"]+)"/g)];
  const bare = [...source.matchAll(/^\s*import\s+"([^"]+)"/gm)].map((m) => m[1]!);
  return [...clauses.filter((m) => !runtimeOnly || m[1] === undefined).map((m) => m[2]!), ...bare];
}

/** Every module reachable from `entries`, following relative imports, with what each imports. */
function moduleGraph(entries: string[], runtimeOnly = false): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const found = specifiers(readFileSync(file, "utf8"), runtimeOnly);
    graph.set(file, found);
    for (const specifier of found) {
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
    }
  };
  for (const entry of entries) visit(entry);
  return graph;
}

/** The Node-only imports in `graph`: node:* and ws, and (with `hub`) any module of the hub's folder. */
function nodeOnly(graph: Map<string, string[]>, hub = false): string[] {
  const offenders: string[] = [];
  for (const [file, found] of graph) {
    if (hub && file.startsWith(HUB + sep)) offenders.push(`${file} is part of the hub`);
    for (const specifier of found) {
      if (specifier.startsWith("node:") || specifier === "ws" || specifier.startsWith("ws/")) offenders.push(`${file} imports ${specifier}`);
    }
  }
  return offenders;
}

describe("WebSocket client: browser-safe", () => {
  it("the main entry (and with it the WebSocket client) imports nothing Node-only", () => {
    const graph = moduleGraph([join(__dirname, "../../src/index.ts")]);
    expect([...graph.keys()].some((file) => file.endsWith("transports/websocket/client.ts"))).toBe(true);
    expect(nodeOnly(graph, true)).toEqual([]);
  });

  it("nothing in transports/websocket/ outside hub/ reaches node:*, ws or the hub at run time", () => {
    const shared = readdirSync(WEBSOCKET)
      .filter((name) => name.endsWith(".ts"))
      .map((name) => join(WEBSOCKET, name));
    expect(shared.map((file) => file.slice(WEBSOCKET.length + 1))).toEqual(expect.arrayContaining(["client.ts", "dial.ts", "link.ts", "handshake.ts", "session.ts"]));
    expect(nodeOnly(moduleGraph(shared, true), true)).toEqual([]);
  });

  it("the check does catch Node-only imports: the hub's folder is refused", () => {
    const hub = readdirSync(HUB).map((name) => join(HUB, name));
    const offenders = nodeOnly(moduleGraph(hub, true));
    expect(offenders).toEqual(expect.arrayContaining([expect.stringMatching(/hub\.ts imports ws$/), expect.stringMatching(/ imports node:http$/)]));
  });
});
