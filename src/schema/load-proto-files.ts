/**
 * Loads `.proto` files from disk into a resolved protobufjs Root (Node only: it reads files;
 * the rest of src/schema is browser-safe).
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import protobuf from "protobufjs";
import { SchemaError } from "./schema-error.js";

/**
 * Loads `files`, resolving imports against each importing file's folder, then `importPaths`,
 * then the files' folders; `google/protobuf/*.proto` come bundled with protobufjs. Throws a
 * SchemaError naming the files when one is missing or does not parse.
 */
export async function loadProtoFiles(files: readonly string[], importPaths: readonly string[] = []): Promise<protobuf.Root> {
  if (files.length === 0) throw new SchemaError("no .proto file given");
  const root = new protobuf.Root();
  const searchDirs = [...importPaths.map((p) => resolve(p)), ...files.map((f) => dirname(resolve(f)))];
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target) && existsSync(target)) return target;
    for (const dir of [origin === "" ? undefined : dirname(origin), ...searchDirs]) {
      if (dir === undefined) continue;
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target; // protobufjs' bundled google/protobuf/*.proto, or a clear "no such file" error
  };
  try {
    await root.load(files.map((f) => resolve(f)), { keepCase: false });
    root.resolveAll();
  } catch (error) {
    throw new SchemaError(`cannot load ${files.join(", ")}: ${(error as Error).message}`, undefined, { cause: error });
  }
  return root;
}
