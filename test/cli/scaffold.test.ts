import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageInfo } from "../../src/cli/package-info.js";
import { existing, packageName, projectManifest, scaffoldFiles, writeFiles } from "../../src/cli/scaffold.js";

const info = packageInfo();

describe("swarm-transport init's files", () => {
  it("are the template's, with .gitignore under its real name and a package.json made from this package's versions", () => {
    const files = scaffoldFiles(info, { name: "demo", dependency: "^0.1.0" });
    expect(files.map((f) => f.path).sort()).toEqual(
      [".gitignore", "README.md", "buf.gen.yaml", "buf.yaml", "package.json", "proto/greeter/v1/greeter.proto", "src/client.ts", "src/greeter-service.ts", "src/main.ts", "src/server.ts", "src/transports.ts", "test/greeter.test.ts", "tsconfig.json"].sort(),
    );
    const manifest = JSON.parse(files.find((f) => f.path === "package.json")!.content) as Record<string, Record<string, string>>;
    expect(manifest["dependencies"]).toEqual({ "@bufbuild/protobuf": info.dependencies["@bufbuild/protobuf"], "swarm-transport": "^0.1.0" });
    for (const tool of ["@bufbuild/buf", "ts-proto", "typescript", "vitest", "tsx", "@types/node"]) expect(manifest["devDependencies"]![tool]).toBe(info.devDependencies[tool]);
    expect(Object.keys(manifest["scripts"]!)).toEqual(expect.arrayContaining(["prepare", "generate", "start", "test"]));
  });

  it("use this repository's ts-proto options (the ones the docs explain)", () => {
    const options = (yaml: string) => [...yaml.matchAll(/^\s+- ([\w]+=[\w.-]+)$/gm)].map((m) => m[1]).sort();
    const template = readFileSync(join(info.root, "templates/service/buf.gen.yaml"), "utf8");
    expect(options(template)).toEqual(options(readFileSync(join(info.root, "buf.gen.yaml"), "utf8")));
  });

  it("skip a linked clone's prepare by its file: spec, and nothing for a registry version", () => {
    const linked = projectManifest({ ...info, scripts: { prepare: "npm run build" } }, { name: "p", dependency: "file:/src/swarm-transport" });
    expect(linked["allowScripts"]).toEqual({ "@bufbuild/buf": false, esbuild: false, "file:/src/swarm-transport": false });
    const installed = projectManifest({ ...info, scripts: {} }, { name: "p", dependency: "file:/app/node_modules/swarm-transport" });
    expect(installed["allowScripts"]).toEqual({ "@bufbuild/buf": false, esbuild: false });
  });

  it("name the project after its folder, as npm allows", () => {
    expect(packageName("/home/ada/My Service")).toBe("my-service");
    expect(packageName("/tmp/.hidden_")).toBe("hidden_");
    expect(packageName("/")).toBe("my-swarm-service");
  });

  it("are written into a folder, and the files already there are named", () => {
    const dir = mkdtempSync(join(tmpdir(), "swarm-init-"));
    writeFileSync(join(dir, "README.md"), "mine");
    const files = scaffoldFiles(info, { name: "demo", dependency: "^0.1.0" });
    expect(existing(dir, files)).toEqual(["README.md"]);
    writeFiles(dir, files);
    expect(readFileSync(join(dir, "proto/greeter/v1/greeter.proto"), "utf8")).toContain("service GreeterService");
  });
});
