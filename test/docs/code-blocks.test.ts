// Every code block in README.md and docs/ runs, or says it is a fragment (docs/contributing.md,
// "Code blocks in the documentation"):
//
//   ```ts            a whole program: type-checked (tsc, the project's strict settings), bundled
//                    with esbuild and run; it must finish within BLOCK_DEADLINE_MS without an
//                    error and leave nothing open (test/docs/run-blocks.mjs)
//   ```sh            commands run with bash (set -euo pipefail) from the repository root
//   ```ts fragment   part of a program, or code that needs a browser: not run
//   ```sh fragment   commands with lasting effects or no end (install, servers, the whole suite):
//                    not run, but every `npm run X`, `npx swarm-transport X` and its --flags
//                    must exist
//   ```text, ```json, ```proto, …   not code (diagrams, output, schemas)
//   ```python        another language's client: run where its page says (docs/your-own-service.md's
//                    by test/package/tarball.test.ts, against a real hub)
//
// A fence without a language fails the test: every block says what it is.
// DOCS_ONLY=docs/rpc.md npx vitest run test/docs checks one page.
import { execFile, type ExecFileException } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Command } from "../../src/cli/command.js";
const RESULT_PREFIX = "@@docs-block "; // as in run-blocks.ts
import { codeBlocks, documentationFiles, readDoc, type CodeBlock } from "./markdown.js";

const ROOT = resolve(import.meta.dirname, "../..");
/** Extracted blocks go here: inside the repository, so `swarm-transport` resolves through the tsconfig paths; one folder per run. */
const OUT = join(ROOT, ".docs-blocks", String(process.pid));
const RUNNABLE = new Set(["ts", "sh"]);
const NOT_CODE = new Set(["text", "json", "proto", "html", "yaml", "python"]);
const FRAGMENT = "fragment";
/** Each runnable block must finish within this. */
const BLOCK_DEADLINE_MS = 20_000;
/** A whole block runner (or the type-check) must finish within this. */
const RUN_DEADLINE_MS = 90_000;
/** Processes running TypeScript blocks, and shell blocks at once (the machine may have 2 cores). */
const RUNNERS = 2;
const PARALLEL = 2;

/** DOCS_ONLY=docs/rpc.md (a substring of the path) checks only the matching files. */
const only = process.env["DOCS_ONLY"];
const blocks = documentationFiles(ROOT)
  .filter((file) => only === undefined || file.includes(only))
  .flatMap((file) => codeBlocks(file, readDoc(ROOT, file)));
const isFragment = (block: CodeBlock) => block.tags.includes(FRAGMENT);
const runnable = blocks.filter((b) => RUNNABLE.has(b.lang) && !isFragment(b));
const tsBlocks = runnable.filter((b) => b.lang === "ts");
const shBlocks = runnable.filter((b) => b.lang === "sh");
const where = (block: CodeBlock) => `${block.file}:${block.line}`;
const baseOf = (block: CodeBlock) => `${block.file.replace(/\.md$/, "").replace(/[^A-Za-z0-9]+/g, "-")}-${block.line}`;
const fileOf = (block: CodeBlock) => join(OUT, `${baseOf(block)}.ts`);
const jsOf = (block: CodeBlock) => join(OUT, "js", `${baseOf(block)}.mjs`);

interface RunResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args` from the repository root with a deadline; never rejects. */
function run(file: string, args: string[], timeout = BLOCK_DEADLINE_MS): Promise<RunResult> {
  return new Promise((done) => {
    execFile(file, args, { cwd: ROOT, timeout, killSignal: "SIGKILL", maxBuffer: 16 << 20 }, (error: ExecFileException | null, stdout, stderr) => {
      done({ code: error === null ? 0 : error.killed ? `killed after ${timeout} ms` : (error.code ?? null), stdout, stderr });
    });
  });
}

/** At most PARALLEL of these run at once. */
const slots = (() => {
  let free = PARALLEL;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (free === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    else free--;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next !== undefined) next();
      else free++;
    }
  };
})();

describe("documentation code blocks", () => {
  it("every fence names its language, and each language is known", () => {
    const unknown = blocks.filter((b) => !RUNNABLE.has(b.lang) && !NOT_CODE.has(b.lang)).map((b) => `${where(b)} \`\`\`${b.lang}`);
    expect(unknown, "give each fence a language: ts or sh (code), or text/json/proto/html/yaml/python").toEqual([]);
    const badTags = blocks.filter((b) => b.tags.some((t) => t !== FRAGMENT)).map(where);
    expect(badTags, `the only tag is "${FRAGMENT}"`).toEqual([]);
  });

  it.skipIf(only !== undefined)("there is something to run (the README's examples)", () => {
    expect(tsBlocks.filter((b) => b.file === "README.md").length).toBeGreaterThanOrEqual(2);
  });
});

describe("shell blocks name commands that exist", () => {
  const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
  const shell = blocks.filter((b) => b.lang === "sh");
  const commandLines = shell.flatMap((b) =>
    b.code
      .replace(/\\\n/g, " ")
      .split("\n")
      .map((line) => ({ block: b, line: line.replace(/#.*$/, "").trim() }))
      .filter(({ line }) => line.length > 0),
  );

  it("every `npm run X` / `npm start` / `npm test` is a script in package.json", () => {
    const missing: string[] = [];
    for (const { block, line } of commandLines) {
      for (const match of line.matchAll(/\bnpm (?:run(?:-script)?\s+(?:--?[\w-]+\s+)*([^-\s]\S*)|(start|test)\b)/g)) {
        const script = match[1] ?? match[2]!;
        if (!scripts.includes(script)) missing.push(`${where(block)}: npm script "${script}"`);
      }
    }
    expect(missing).toEqual([]);
  });

  const cliUses = commandLines.flatMap(({ block, line }) =>
    [...line.matchAll(/\b(?:npx swarm-transport|npm run (?:--silent )?cli --)\s+([a-z][\w-]*)((?:\s+[^|;&]+)?)/g)].map((m) => ({ block, command: m[1]!, flags: [...(m[2] ?? "").matchAll(/(?<=\s|^)(--[a-z][\w-]*)/g)].map((f) => f[1]!) })),
  );
  const commands = [...new Set(cliUses.map((u) => u.command))];

  it.runIf(commands.length > 0)("every `npx swarm-transport <command> --flag` exists (checked against its usage text)", async () => {
    const usage = await cliUsage();
    const problems: string[] = [];
    for (const use of cliUses) {
      const text = usage.get(use.command);
      if (text === undefined) problems.push(`${where(use.block)}: no command "${use.command}" (commands: ${[...usage.keys()].join(", ")})`);
      else for (const flag of use.flags) if (flag !== "--help" && !new RegExp(`${flag}\\b`).test(text)) problems.push(`${where(use.block)}: ${use.command} has no ${flag}`);
    }
    expect(problems).toEqual([]);
  });
});

/** Each subcommand's usage text, from the command modules in src/cli/commands/. */
async function cliUsage(): Promise<Map<string, string>> {
  const usage = new Map<string, string>();
  const dir = join(ROOT, "src/cli/commands");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      const command = value as Partial<Command> | null;
      if (typeof command?.name === "string" && typeof command.usage === "string") usage.set(command.name, command.usage);
    }
  }
  return usage;
}

describe.runIf(tsBlocks.length > 0)("TypeScript blocks type-check and run", () => {
  const diagnostics = new Map<string, string[]>();
  const results = new Map<string, { ok: boolean; ms: number; error?: string }>();

  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const block of tsBlocks) writeFileSync(fileOf(block), `${block.code}\n`);
    // The project's own settings (strict, NodeNext, the swarm-transport/* paths), for these files only.
    writeFileSync(join(OUT, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noEmit: true, rootDir: "../..", noUnusedLocals: false }, include: ["*.ts"] }));
    const typeCheck = run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(OUT, "tsconfig.json"), "--pretty", "false"], RUN_DEADLINE_MS);
    // Bundled (esbuild, `swarm-transport` through the tsconfig paths, dependencies external) and
    // run as plain JavaScript: a block may start a worker thread on its own file, which Node 20
    // cannot do for a .ts file under tsx. Shared code is one chunk, loaded once per runner.
    const built = await build({
      entryPoints: tsBlocks.map(fileOf),
      outdir: join(OUT, "js"),
      outExtension: { ".js": ".mjs" },
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      tsconfig: join(ROOT, "tsconfig.json"),
      logLevel: "silent",
    }).catch((error: unknown) => ({ errors: [error] }));
    if (built.errors.length > 0) throw new Error(`esbuild could not bundle the blocks: ${built.errors.map((e) => JSON.stringify(e)).join("\n")}`);
    // The blocks run in RUNNERS processes, one block after another (test/docs/run-blocks.ts).
    const shares = Array.from({ length: RUNNERS }, (_, i) => tsBlocks.filter((_, j) => j % RUNNERS === i).map(jsOf));
    const runs = shares.filter((files) => files.length > 0).map((files) => run(process.execPath, [join(ROOT, "test/docs/run-blocks.mjs"), String(BLOCK_DEADLINE_MS), ...files], RUN_DEADLINE_MS));
    for (const output of await Promise.all(runs)) {
      for (const line of output.stdout.split("\n").filter((l) => l.startsWith(RESULT_PREFIX))) {
        const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as { file: string; ok: boolean; ms: number; error?: string };
        results.set(result.file, result);
      }
      if (output.code !== 0) process.stderr.write(`a block runner ended with ${String(output.code)}:\n${output.stderr}\n`);
    }
    const checked = await typeCheck;
    for (const line of checked.stdout.split("\n")) {
      const match = /^(.*?\.ts)\((\d+),\d+\): (error .*)$/.exec(line);
      if (match === null) continue;
      const file = resolve(ROOT, match[1]!);
      diagnostics.set(file, [...(diagnostics.get(file) ?? []), `line ${match[2]} of the block: ${match[3]}`]);
    }
    if (checked.code !== 0 && diagnostics.size === 0) throw new Error(`tsc failed without diagnostics:\n${checked.stdout}${checked.stderr}`);
  }, RUN_DEADLINE_MS + 5_000);

  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  it.each(tsBlocks.map((block) => [where(block), block] as const))("%s", (_, block) => {
    expect(diagnostics.get(fileOf(block)) ?? [], "type errors").toEqual([]);
    const result = results.get(jsOf(block));
    expect(result, "the block runner did not report this block (see stderr)").toBeDefined();
    expect(result!.error ?? "", "the block failed").toBe("");
  });
});

describe.runIf(shBlocks.length > 0)("shell blocks run", () => {
  it.concurrent.each(shBlocks.map((block) => [where(block), block] as const))("%s", async (_, block) => {
    const result = await slots(() => run("bash", ["-c", `set -euo pipefail\n${block.code}`]));
    expect(result.code, `exit status; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
  }, BLOCK_DEADLINE_MS * 3);
});
