// src/schema is shared by the library (the gateway) and the CLI: it stays browser-safe apart
// from its one file loader, and the library never reaches into the CLI.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../../src/", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(SRC, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join(dir, file));
}

function imports(file: string): string[] {
  return [...readFileSync(join(SRC, file), "utf8").matchAll(/^(?:import|export)\b[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

describe("module boundaries", () => {
  it("src/schema imports no node:* module, except load-proto-files.ts", () => {
    const offenders = sources("schema")
      .filter((file) => !file.endsWith("load-proto-files.ts"))
      .filter((file) => imports(file).some((spec) => spec.startsWith("node:")));
    expect(offenders).toEqual([]);
    expect(imports("schema/load-proto-files.ts")).toContain("node:fs");
  });

  it("nothing under src/ but src/cli imports src/cli", () => {
    const offenders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== "cli")
      .flatMap((entry) => sources(entry.name))
      .filter((file) => imports(file).some((spec) => /(^|\/)cli\//.test(spec)));
    expect(offenders).toEqual([]);
  });
});
