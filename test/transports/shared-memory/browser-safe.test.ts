import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

// The rings and the transport must run in a browser Web Worker: no Node built-ins, no Node globals.
describe("shared-memory sources", () => {
  it("import nothing Node-only", async () => {
    const dir = new URL("../../../src/transports/shared-memory/", import.meta.url);
    const files = (await readdir(dir)).filter((file) => file.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = await readFile(new URL(file, dir), "utf8");
      expect({ file, nodeImports: source.match(/from "node:[^"]+"/g) ?? [] }).toEqual({ file, nodeImports: [] });
      expect({ file, nodeGlobals: source.match(/\b(Buffer\.|process\.|require\(|setImmediate\()/g) ?? [] }).toEqual({ file, nodeGlobals: [] });
    }
  });
});
