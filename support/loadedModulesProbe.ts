/**
 * `node --import tsx --import ./support/loadedModulesProbe.ts …`: records every module the
 * process loads into the file named by LOADED_MODULES_FILE, one URL or path a line: ES
 * modules as they are resolved (a resolve hook), CommonJS modules as the process exits
 * (the require cache, which also holds CommonJS packages imported from ES modules).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.LOADED_MODULES_FILE;
if (!file) throw new Error('loadedModulesProbe needs LOADED_MODULES_FILE');
writeFileSync(file, '');

const hooks = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(file, resolved.url + '\\n');
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { file } });

const requireCache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  appendFileSync(file, `${Object.keys(requireCache).join('\n')}\n`);
});
