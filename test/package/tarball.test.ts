// The package as a user gets it: `npm pack` of this checkout (in a copy, so packing builds
// there and never touches this worktree's dist/), installed into a temp project with the warm
// npm cache (--prefer-offline). From there: what the tarball holds, a strict type-check of its
// .d.ts without skipLibCheck, import and require, every CLI mistake against the installed bin,
// and `npx swarm-transport init` in another temp folder, then npm install (which generates),
// a strict type-check, npm start and npm test in the new project.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliMistakes } from "./cli-mistakes.js";
import { waitFor } from "../helpers/wait-for.js";
import { background, npmWarnings, run, transcript, type Background, type Ran } from "./run.js";

const ROOT = process.cwd();
const ownManifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };
/** What `npm pack` reads from a checkout: the build's inputs and the published files (not dist/, which packing builds). */
const PACKED_SOURCES = ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "LICENSE-MIT", "LICENSE-APACHE", "src", "generated", "proto", "templates", "scripts"];
const INSTALL = ["install", "--prefer-offline", "--no-audit", "--no-fund"];

let work = "";
let source = "";
let consumer = "";
let installed = "";
let tarball = "";
let consumerInstall: Ran;
const timings: Record<string, number> = {};

function timed(step: string, ran: Ran): Ran {
  timings[step] = ran.ms;
  return ran;
}

function ok(what: string, ran: Ran): Ran {
  expect(ran.code, transcript(what, ran)).toBe(0);
  return ran;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "swarm-tarball-"));
  source = join(work, "source");
  for (const name of PACKED_SOURCES) cpSync(join(ROOT, name), join(source, name), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"));
  ok("npm pack", timed("npm pack (builds)", await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: source })));
  tarball = join(work, readdirSync(work).find((name) => name.endsWith(".tgz"))!);

  consumer = join(work, "consumer");
  mkdirSync(consumer);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }));
  const tools = ["typescript", "@types/node"].map((name) => `${name}@${ownManifest.devDependencies[name]}`);
  consumerInstall = ok("npm install <tarball>", timed("install tarball", await run("npm", [...INSTALL, tarball, ...tools], { cwd: consumer })));
  installed = join(consumer, "node_modules", "swarm-transport");
}, 240_000);

afterAll(() => {
  console.info(`tarball test steps (ms): ${JSON.stringify(timings)}`);
  if (work !== "" && process.env["KEEP_TARBALL_TEST"] === undefined) rmSync(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("installs without a warning, with LICENSE files, an executable bin and no install scripts", () => {
    expect(npmWarnings(consumerInstall.stdout + consumerInstall.stderr)).toEqual([]);
    for (const file of ["LICENSE-MIT", "LICENSE-APACHE", "README.md", "dist/src/index.js", "proto/swarm/examples/v1/compute.proto", "templates/service/buf.gen.yaml"]) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    expect(readFileSync(join(installed, "LICENSE-APACHE"), "utf8")).toContain("Apache License");
    expect(readFileSync(join(installed, "LICENSE-MIT"), "utf8")).toContain("MIT License");
    expect(existsSync(join(installed, "src"))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { scripts: Record<string, string>; license: string };
    expect(manifest.license).toBe("MIT OR Apache-2.0");
    expect(Object.keys(manifest.scripts).filter((name) => ["preinstall", "install", "postinstall", "prepare"].includes(name))).toEqual([]);
    // the build that packing ran left the bin executable (npm install sets it anyway)
    expect(statSync(join(source, "dist/src/cli/main.js")).mode & 0o111).toBe(0o111);
    // and the packing restored the checkout's own manifest, `prepare` included
    expect(JSON.parse(readFileSync(join(source, "package.json"), "utf8")).scripts.prepare).toBe("npm run build");
  });

  it("has source maps that resolve: each names its map file and carries its sources", () => {
    const maps = listFiles(join(installed, "dist")).filter((file) => file.endsWith(".js.map"));
    expect(maps.length).toBeGreaterThan(50);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(map, "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(sourcesContent?.length, map).toBe(sources.length);
      expect(sourcesContent!.every((text) => typeof text === "string" && text.length > 0), map).toBe(true);
      const js = readFileSync(map.slice(0, -".map".length), "utf8");
      expect(js.trimEnd().endsWith(`//# sourceMappingURL=${map.split("/").at(-1)}`), map).toBe(true);
    }
  });

  it("type-checks in a strict consumer without skipLibCheck and without @types/ws (Node and browser settings)", async () => {
    expect(existsSync(join(consumer, "node_modules/@types/ws"))).toBe(false);
    writeFileSync(
      join(consumer, "node.ts"),
      [
        'import { createClient, createDemux, createServer, Message, RpcError, TransportError } from "swarm-transport";',
        'import { createNodeTransportRegistry, WebSocketTransport, type AgentInfo, type HubAuthRequest, type HubLinkOptions } from "swarm-transport/node";',
        'import { decodeFrame, encodeFrame } from "swarm-transport/protocol";',
        'import { registerSwarmTransport, TransportFactory } from "swarm-transport/di";',
        'import { ComputeServiceDefinition } from "swarm-transport/generated/swarm/examples/v1/compute.js";',
        "const transport = await createNodeTransportRegistry().connect(\"inproc://t\", { id: \"a\" });",
        "const demux = createDemux(transport);",
        "createServer(demux).add(ComputeServiceDefinition, { fibonacci: (r) => ({ value: r.n }), async *countTo() {}, async sum() { return { total: 0, count: 0 }; }, async *chat() {}, echo: (r) => r });",
        'const { value }: { value: number } = await createClient(ComputeServiceDefinition, demux, { peer: "a" }).fibonacci({ n: 1 });',
        "export type Used = [typeof value, AgentInfo, HubAuthRequest, HubLinkOptions, typeof WebSocketTransport, typeof encodeFrame, typeof decodeFrame, typeof registerSwarmTransport, TransportFactory, Message, RpcError, TransportError];",
      ].join("\n"),
    );
    writeFileSync(
      join(consumer, "browser.ts"),
      [
        'import { createClient, createDemux, createTransportRegistry } from "swarm-transport/browser";',
        'import { ComputeServiceDefinition } from "swarm-transport/generated/swarm/examples/v1/compute.js";',
        'const hub = await createTransportRegistry().connect("ws://127.0.0.1:8080", { id: "page" });',
        'export const client = createClient(ComputeServiceDefinition, createDemux(hub), { peer: "agent" });',
      ].join("\n"),
    );
    const strict = { target: "ES2022", strict: true, noImplicitOverride: true, skipLibCheck: false, noEmit: true };
    writeFileSync(join(consumer, "tsconfig.node.json"), JSON.stringify({ compilerOptions: { ...strict, lib: ["ES2022"], module: "NodeNext", moduleResolution: "NodeNext", types: ["node"] }, files: ["node.ts"] }));
    writeFileSync(join(consumer, "tsconfig.browser.json"), JSON.stringify({ compilerOptions: { ...strict, lib: ["ES2022", "DOM"], module: "ESNext", moduleResolution: "Bundler", types: [] }, files: ["browser.ts"] }));
    const tsc = join(consumer, "node_modules/.bin/tsc");
    const [node, browser] = await Promise.all([run(tsc, ["-p", "tsconfig.node.json"], { cwd: consumer }), run(tsc, ["-p", "tsconfig.browser.json"], { cwd: consumer })]);
    timed("consumer tsc (node)", ok("tsc, Node settings", node));
    ok("tsc, browser settings", browser);
  }, 60_000);

  it("is ESM that require() also loads (Node's require(esm)); generated/*.js resolves to its .js", async () => {
    const script = [
      'const main = await import("swarm-transport");',
      'const { ComputeServiceDefinition } = await import("swarm-transport/generated/swarm/examples/v1/compute.js");',
      'const required = (await import("node:module")).createRequire(import.meta.url)("swarm-transport/node");',
      'console.log(typeof main.createClient, ComputeServiceDefinition.fullName, typeof required.createNodeTransportRegistry);',
    ].join("\n");
    const ran = ok("node --input-type=module", await run(process.execPath, ["--input-type=module", "-e", script], { cwd: consumer }));
    expect(ran.stdout.trim()).toBe("function swarm.examples.v1.ComputeService function");
    expect(ran.stderr).toBe("");
  });

  it("runs without @opentelemetry/api (an optional peer): only the otel entry imports it", async () => {
    const importers = listFiles(join(installed, "dist"))
      .filter((file) => file.endsWith(".js") && /from\s*["']@opentelemetry\/api["']/.test(readFileSync(file, "utf8")))
      .map((file) => file.slice(join(installed, "dist").length + 1))
      .sort();
    expect(importers).toEqual(["src/otel/otel-span.js", "src/otel/otel-tracing.js"]);
    // prom-client (the Node entry's /metrics) depends on it, so a Node install has it: hide it,
    // and the core and the browser entry still load and make calls; only the otel entry needs it
    const api = join(consumer, "node_modules", "@opentelemetry", "api");
    const hidden = `${api}.hidden`;
    const had = existsSync(api);
    if (had) renameSync(api, hidden);
    try {
      const script = [
        'const { createClient, createDemux, createServer, InProcessTransport } = await import("swarm-transport");',
        'await import("swarm-transport/browser");',
        'const { ComputeServiceDefinition } = await import("swarm-transport/generated/swarm/examples/v1/compute.js");',
        'const [a, b] = await InProcessTransport.createPair("a", "b");',
        'createServer(createDemux(b)).add(ComputeServiceDefinition, new Proxy({}, { get: () => ({ n }) => ({ value: n }) }));',
        'console.log(String((await createClient(ComputeServiceDefinition, createDemux(a), { peer: "b" }).fibonacci({ n: 7 })).value));',
        'await import("swarm-transport/otel").catch((error) => console.log(error.code));',
        "process.exit(0);",
      ].join("\n");
      const ran = ok("node --input-type=module", await run(process.execPath, ["--input-type=module", "-e", script], { cwd: consumer }));
      expect(ran.stdout.trim().split("\n")).toEqual(["7", "ERR_MODULE_NOT_FOUND"]);
    } finally {
      if (had) renameSync(hidden, api);
    }
  });

  it("answers every CLI mistake with its documented exit code and one line that says what to do", async () => {
    const closed = await listening();
    const closedPort = port(closed);
    await new Promise((resolve) => closed.close(resolve));
    const taken = await listening();
    const nonEmptyDir = join(work, "not-empty");
    mkdirSync(nonEmptyDir);
    writeFileSync(join(nonEmptyDir, "package.json"), "{}");
    try {
      const mistakes = cliMistakes({ closedPort, takenPort: port(taken), proto: join(installed, "proto/swarm/examples/v1/compute.proto"), nonEmptyDir });
      const bin = join(consumer, "node_modules/.bin/swarm-transport");
      const results = await Promise.all(mistakes.map((mistake) => run(bin, mistake.args, { cwd: work, timeoutMs: 30_000 })));
      const answers = results.map((ran, i) => ({ what: mistakes[i]!.what, code: ran.code, stderr: ran.stderr.trimEnd() }));
      expect(answers).toEqual(mistakes.map(({ what, code, line }) => ({ what, code, stderr: expect.stringMatching(line) })));
      for (const [i, ran] of results.entries()) expect(ran.stderr.split("\n"), mistakes[i]!.what).toHaveLength(2); // one line and its newline
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 60_000);

  it("npx swarm-transport init makes a project that installs, generates, type-checks strictly, runs and tests", async () => {
    const project = join(work, "my-service");
    mkdirSync(project);
    const init = ok("npx swarm-transport init", timed("npx init", await run("npx", ["--prefix", consumer, "swarm-transport", "init"], { cwd: project })));
    expect(init.stdout).toContain(`created a GreeterService project in ${project}`);
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    expect(manifest.dependencies["swarm-transport"]).toBe(`file:${installed}`);
    expect(Object.keys(manifest.scripts)).toEqual(expect.arrayContaining(["generate", "start", "test"]));
    const tsconfig = JSON.parse(readFileSync(join(project, "tsconfig.json"), "utf8")) as { compilerOptions: { strict: boolean; skipLibCheck: boolean } };
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, skipLibCheck: false });

    const install = ok("npm install (project)", timed("project npm install + generate", await run("npm", INSTALL, { cwd: project, timeoutMs: 180_000 })));
    expect(npmWarnings(install.stdout + install.stderr)).toEqual([]);
    expect(existsSync(join(project, "src/gen/greeter/v1/greeter.ts"))).toBe(true);
    ok("npm run generate", timed("generate", await run("npm", ["run", "--silent", "generate"], { cwd: project })));
    ok("npm run typecheck", timed("project tsc", await run("npm", ["run", "--silent", "typecheck"], { cwd: project })));
    const start = ok("npm start", timed("npm start", await run("npm", ["start", "--silent"], { cwd: project })));
    expect(start.stdout.trim().split("\n")).toEqual(["Hello, swarm!", "3...", "2...", "1..."]);
    const test = ok("npm test", timed("npm test", await run("npm", ["test", "--silent"], { cwd: project })));
    expect(test.stdout.replace(/\x1b\[[0-9;]*m/g, "")).toMatch(/Tests +2 passed/);

    // docs/your-own-service.md, "Calling it from another language": its curl and its Python
    // call the project's server through a hub's HTTP gateway (the docs' 127.0.0.1:8080 becomes the hub's port).
    const started = performance.now();
    const hub = background(join(project, "node_modules/.bin/swarm-transport"), ["hub", "--bind", "127.0.0.1:0", "--gateway-proto", "proto/greeter/v1/greeter.proto", "--json"], { cwd: project });
    let server: Background | undefined;
    try {
      const listening = await waitFor(() => /^\{"event":"listening".*$/m.exec(hub.output())?.[0] ?? "", { what: "the hub to listen", timeoutMs: 20_000 });
      const { url, http } = JSON.parse(listening) as { url: string; http: string };
      server = background(join(project, "node_modules/.bin/tsx"), ["src/server.ts", url], { cwd: project });
      await waitFor(() => server!.output().includes("serving greeter.v1.GreeterService"), { what: "the server to connect", timeoutMs: 20_000 });
      const doc = readFileSync(join(ROOT, "docs/your-own-service.md"), "utf8").replaceAll("127.0.0.1:8080", http.replace(/^http:\/\//, ""));
      const curl = /^curl (?:.*\\\n)*.*/m.exec(doc)![0].replace(/\s+#.*$/, "");
      const curled = ok("the docs' curl", await run("sh", ["-c", curl], { cwd: project }));
      expect(JSON.parse(curled.stdout)).toEqual({ greeting: "Hello, curl!" });
      if (existsSync("/usr/bin/python3")) {
        const python = /^```python\n([\s\S]*?)^```/m.exec(doc)![1]!;
        const printed = ok("the docs' Python", await run("/usr/bin/python3", ["-c", python], { cwd: project }));
        expect(printed.stdout.trim()).toBe("{'greeting': 'Hello, Python!'}");
      }
    } finally {
      await server?.stop();
      await hub.stop();
    }
    timings["other languages (hub, server, curl, python)"] = Math.round(performance.now() - started);
  }, 300_000);
});

function listening(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function port(server: Server): number {
  return (server.address() as { port: number }).port;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}
