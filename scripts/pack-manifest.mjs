// `npm pack` / `npm publish` hooks: the published package.json must not carry `prepare`.
// In a clone, `prepare` builds dist/ on `npm install`; in an installed copy it would be an
// install script: npm 11 lists it as unapproved on every tarball or `file:` install, and npm 10
// runs it on `file:` links, where it would delete dist/ and fail without the sources.
//
//   node scripts/pack-manifest.mjs strip     (prepack: after the build)
//   node scripts/pack-manifest.mjs restore   (postpack)
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const MANIFEST = "package.json";
const BACKUP = ".package.json.pack-backup";
/** Scripts npm runs when a dependency is installed from a non-registry source. */
const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall", "prepare"];

const action = process.argv[2];
if (action === "strip") {
  // A backup left by an interrupted pack holds the real manifest: start from it.
  if (existsSync(BACKUP)) renameSync(BACKUP, MANIFEST);
  const text = readFileSync(MANIFEST, "utf8");
  writeFileSync(BACKUP, text);
  const manifest = JSON.parse(text);
  for (const name of INSTALL_SCRIPTS) delete manifest.scripts?.[name];
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
} else if (action === "restore") {
  if (existsSync(BACKUP)) renameSync(BACKUP, MANIFEST);
} else {
  console.error("usage: node scripts/pack-manifest.mjs strip|restore");
  process.exit(2);
}
