/**
 * `swarm-transport init`: the files of a new service project, from templates/service/ in this
 * package plus a package.json made here (its versions are this package's own, so the project
 * is built with what swarm-transport itself is tested with).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { PackageInfo } from "./package-info.js";

/** One file to write, relative to the project folder. */
export interface ScaffoldFile {
  readonly path: string;
  readonly content: string;
}

/** Template files stored under another name, because npm would drop or rename the real one. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: ".gitignore" };

/** The project's development tools, versioned as swarm-transport's own devDependencies. */
const DEV_TOOLS = ["@bufbuild/buf", "@types/node", "ts-proto", "tsx", "typescript", "vitest"] as const;

/** Options of `scaffoldFiles`. */
export interface ScaffoldOptions {
  /** The project's npm name. */
  name: string;
  /** The swarm-transport dependency: a version range, or `file:<folder or tarball>`. */
  dependency: string;
}

/** Every file of a new project, for the package described by `info`. */
export function scaffoldFiles(info: PackageInfo, options: ScaffoldOptions): ScaffoldFile[] {
  const templates = join(info.root, "templates", "service");
  const files = listFiles(templates).map((file) => {
    const path = relative(templates, file);
    return { path: RENAMED[path] ?? path, content: readFileSync(file, "utf8") };
  });
  return [{ path: "package.json", content: `${JSON.stringify(projectManifest(info, options), null, 2)}\n` }, ...files];
}

/** The project's package.json. */
export function projectManifest(info: PackageInfo, options: ScaffoldOptions): Record<string, unknown> {
  const version = (name: string, from: Readonly<Record<string, string>>) => {
    const range = from[name];
    if (range === undefined) throw new Error(`swarm-transport's package.json lists no version of ${name}`);
    return range;
  };
  return {
    name: options.name,
    version: "0.1.0",
    private: true,
    type: "module",
    engines: { node: ">=20.19" },
    scripts: {
      // npm install generates src/gen/, so a fresh clone runs with `npm install && npm start`
      prepare: "npm run generate",
      generate: "buf generate",
      start: "tsx src/main.ts",
      server: "tsx src/server.ts",
      client: "tsx src/client.ts",
      typecheck: "tsc -p tsconfig.json",
      test: "vitest run",
    },
    dependencies: {
      "@bufbuild/protobuf": version("@bufbuild/protobuf", info.dependencies),
      "swarm-transport": options.dependency,
    },
    devDependencies: Object.fromEntries(DEV_TOOLS.map((name) => [name, version(name, info.devDependencies)])),
    // buf's and esbuild's install scripts only fetch or check a binary the package already has,
    // and a clone of swarm-transport linked with file: has `prepare`, which would rebuild its
    // dist/. Skipped, npm 11 has nothing to ask about (npm 10 ignores the field). npm matches a
    // file: dependency by its spec, not its name.
    allowScripts: {
      "@bufbuild/buf": false,
      esbuild: false,
      ...(options.dependency.startsWith("file:") && info.scripts["prepare"] !== undefined ? { [options.dependency]: false } : {}),
    },
  };
}

/** An npm package name made from a folder name: "My Service" → "my-service". */
export function packageName(folder: string): string {
  const name = basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[-]+$/g, "");
  return name.length > 0 && name.length <= 214 ? name : "my-swarm-service";
}

/** The files of `files` that already exist in `dir`. */
export function existing(dir: string, files: readonly ScaffoldFile[]): string[] {
  return files.filter((file) => existsSync(join(dir, file.path))).map((file) => file.path);
}

/** Writes `files` into `dir`, making folders as needed. */
export function writeFiles(dir: string, files: readonly ScaffoldFile[]): void {
  for (const file of files) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}
