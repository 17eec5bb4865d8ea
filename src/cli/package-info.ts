import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The fields of swarm-transport's own package.json the CLI reads. */
export interface PackageInfo {
  /** The folder holding package.json: the repository, or the installed package. */
  readonly root: string;
  readonly name: string;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
  readonly scripts: Readonly<Record<string, string>>;
}

let cached: PackageInfo | undefined;

/** swarm-transport's package.json, found upwards from this module (src/cli/ or dist/src/cli/). */
export function packageInfo(): PackageInfo {
  if (cached !== undefined) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, "package.json");
    if (!existsSync(path)) continue;
    const manifest = JSON.parse(readFileSync(path, "utf8")) as Partial<PackageInfo>;
    if (manifest.name !== "swarm-transport") continue;
    cached = {
      root: dir,
      name: manifest.name,
      version: manifest.version ?? "0.0.0",
      dependencies: manifest.dependencies ?? {},
      devDependencies: manifest.devDependencies ?? {},
      scripts: manifest.scripts ?? {},
    };
    return cached;
  }
  throw new Error("swarm-transport's package.json was not found above the CLI's module");
}
