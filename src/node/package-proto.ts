import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's own proto/ folder (it ships in the npm package): beside src/ when run from
 * source, beside dist/ when built.
 */
export const PACKAGE_PROTO_DIR: string =
  [new URL("../../proto", import.meta.url), new URL("../../../proto", import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(join(dir, "swarm/transport/v1/envelope.proto"))) ?? fileURLToPath(new URL("../../proto", import.meta.url));
