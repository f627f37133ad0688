import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running the module `name` next to the caller (`importerUrl`: the
 * caller's `import.meta.url`). Built code runs `name.js`; under tsx or vitest the caller is
 * TypeScript, so the worker registers tsx first and loads `name.ts`.
 */
export function startModuleWorker(importerUrl: string, name: string): Worker {
  const isTs = importerUrl.endsWith('.ts');
  const entry = new URL(`./${name}${isTs ? '.ts' : '.js'}`, importerUrl);
  if (!isTs) return new Worker(entry);
  return new Worker(
    `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`,
    { eval: true },
  );
}
