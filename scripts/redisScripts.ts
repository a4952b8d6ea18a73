import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Copies every Redis script of the service (each module keeps its own in a `lua/` folder
 * beside it: src/kv/lua, src/pipeline/lua, src/pipeline/fathom/lua) into one folder,
 * `dist/lua/` for the build: bundled, every module's URL is a file in dist/, so each
 * module's `./lua/NAME.lua` resolves there. Two scripts of one name would overwrite each
 * other, so that is refused. Returns the names copied.
 */
export async function copyRedisScripts(destination: URL): Promise<string[]> {
  const scripts = (await readdir(SRC, { recursive: true }))
    .filter((file) => file.endsWith('.lua') && basename(dirname(file)) === 'lua')
    .sort();
  await mkdir(destination, { recursive: true });
  const copiedFrom = new Map<string, string>();
  for (const file of scripts) {
    const name = basename(file);
    const earlier = copiedFrom.get(name);
    if (earlier) throw new Error(`two Redis scripts named ${name}: src/${earlier} and src/${file}`);
    copiedFrom.set(name, file);
    await copyFile(join(SRC, file), new URL(name, destination));
  }
  return [...copiedFrom.keys()];
}
