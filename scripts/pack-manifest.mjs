// `npm pack` / `npm publish` ship a package.json without the `prepare` script: the tarball
// carries the built dist/, and npm flags any `prepare` of a package installed from a tarball
// ("install scripts not yet covered by allowScripts") although it never runs it there.
// `prepack` calls this with "strip" (package.json saved aside first), `postpack` with "restore".
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
// Kept under node_modules/: git ignores it and npm never packs it.
const saved = join(root, 'node_modules', '.buran-pack', 'package.json');

const step = process.argv[2];
if (step === 'strip') {
  if (existsSync(saved)) {
    // A pack that never reached postpack: package.json may since have been edited, so neither copy is surely right.
    console.error(`a previous npm pack did not finish: compare package.json with ${saved} (the manifest it saved), keep the right one, delete ${saved}, and pack again`);
    process.exit(1);
  }
  mkdirSync(dirname(saved), { recursive: true });
  writeFileSync(saved, readFileSync(manifest));
  const pkg = JSON.parse(readFileSync(saved, 'utf8'));
  delete pkg.scripts.prepare;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (step === 'restore') {
  if (existsSync(saved)) renameSync(saved, manifest);
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
