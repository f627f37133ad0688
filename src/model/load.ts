/**
 * Scenario loading: YAML/JSON text → zod validation → defaults applied → semantic checks.
 * Every error is a one-line `ScenarioError` naming the file, the line and the JSON path.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { ScenarioError } from '../errors.js';
import { scenarioInputSchema, type ParsedScenario, type Scenario } from './schema.js';
import { checkScenario, resolveScenario, type Locate } from './check.js';
import { loadServiceTagsFile, type ServiceTagSet, mergeServiceTags, inlineServiceTags } from './service-tags.js';

/** Limits that keep hostile input (alias bombs, huge files) from exhausting memory. */
export const SCENARIO_LIMITS = {
  /** Maximum size of a scenario file. */
  maxBytes: 64 * 1024 * 1024,
  /** Maximum alias expansions (`*anchor`) per document; the yaml package counts nested expansion. */
  maxAliasCount: 100,
};

export type JsonPath = readonly (string | number)[];

/** `vnets[0].subnets[2].addressPrefixes` */
export function formatJsonPath(path: JsonPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

function makeLocator(doc: Document | null, lines: LineCounter | null, file: string | undefined): Locate {
  return (path: JsonPath) => {
    let line: number | undefined;
    let column: number | undefined;
    if (doc && lines) {
      // Walk up until a node exists (a missing key is reported at its parent object).
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) {
          const pos = lines.linePos(node.range[0]);
          line = pos.line;
          column = pos.col;
          break;
        }
      }
    }
    return { file, path: formatJsonPath(path) || undefined, line, column };
  };
}

function firstIssue(error: z.ZodError): { path: JsonPath; message: string } {
  // Prefer the deepest issue inside unions, which names the actual offending field.
  const issue = error.issues[0];
  let path: JsonPath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  let message = issue.message;
  if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors) && issue.errors[0]?.[0]) {
    const inner = issue.errors[0][0] as z.core.$ZodIssue;
    path = [...path, ...inner.path.filter((p): p is string | number => typeof p !== 'symbol')];
    message = inner.message;
  }
  if (issue.code === 'unrecognized_keys') message = `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return { path, message };
}

export interface ParseOptions {
  /** Service tags already loaded (tags in the scenario's own `serviceTags` are added). */
  serviceTags?: ServiceTagSet;
  /** Directory used to resolve `serviceTags.files`; when absent those files are not read. */
  baseDir?: string;
}

export interface LoadedScenario {
  scenario: Scenario;
  /** All service tags known to the scenario (files + inline). */
  serviceTags: ServiceTagSet;
  file?: string;
}

/** Counts `*alias` tokens (approximately: quoted text is not excluded), stopping at `stopAt`. */
function countAliasTokens(text: string, stopAt: number): number {
  const re = /(?:^|[\s,[{:])\*[A-Za-z0-9_][^\s,[\]{}]*/gm;
  let n = 0;
  while (re.exec(text) !== null) if (++n >= stopAt) break;
  return n;
}

/** Parses YAML or JSON scenario text. `file` is only used in error messages and for `baseDir`. */
export function parseScenario(text: string, file?: string, options: ParseOptions = {}): LoadedScenario {
  if (text.length > SCENARIO_LIMITS.maxBytes) {
    throw new ScenarioError(`scenario is larger than ${SCENARIO_LIMITS.maxBytes} bytes`, { file });
  }
  // Count alias tokens before parsing: a document with more aliases than the limit is refused
  // without building anything (an alias bomb is cheap to detect, expensive to parse).
  const aliasTokens = countAliasTokens(text, SCENARIO_LIMITS.maxAliasCount + 1);
  if (aliasTokens > SCENARIO_LIMITS.maxAliasCount) {
    throw new ScenarioError(
      `refused: more than ${SCENARIO_LIMITS.maxAliasCount} YAML aliases (possible alias bomb); expand anchors by hand or split the file`,
      { file },
    );
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new ScenarioError(e.message.split('\n')[0], { file, line: pos.line, column: pos.col });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: SCENARIO_LIMITS.maxAliasCount });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ScenarioError(`refused: ${msg.split('\n')[0]} (limit ${SCENARIO_LIMITS.maxAliasCount})`, { file });
  }
  const locate = makeLocator(doc, lines, file);
  return validateScenario(data, { ...options, locate, file });
}

/** Validates an in-memory scenario object (e.g. produced by `import azure`). */
export function validateScenario(
  data: unknown,
  options: ParseOptions & { locate?: Locate; file?: string } = {},
): LoadedScenario {
  const locate = options.locate ?? makeLocator(null, null, options.file);
  const parsed = scenarioInputSchema.safeParse(data);
  if (!parsed.success) {
    const { path, message } = firstIssue(parsed.error);
    throw new ScenarioError(message, locate(path));
  }
  const raw: ParsedScenario = parsed.data;
  let tags = options.serviceTags ?? new Map();
  if (options.baseDir !== undefined) {
    raw.serviceTags.files.forEach((f, i) => {
      const path = resolvePath(options.baseDir as string, f);
      try {
        tags = mergeServiceTags(tags, loadServiceTagsFile(path));
      } catch (err) {
        if (err instanceof ScenarioError) throw err;
        throw new ScenarioError(`cannot read service tags file ${path}: ${(err as Error).message}`, locate(['serviceTags', 'files', i]));
      }
    });
  }
  tags = mergeServiceTags(tags, inlineServiceTags(raw.serviceTags.tags));
  const scenario = resolveScenario(raw, locate);
  checkScenario(scenario, locate, { serviceTags: tags, serviceTagFilesLoaded: options.baseDir !== undefined || raw.serviceTags.files.length === 0 });
  return { scenario, serviceTags: tags, file: options.file };
}

/** Reads and validates a scenario file (YAML or JSON), including its Service Tags files. */
export function loadScenario(path: string, options: Omit<ParseOptions, 'baseDir'> = {}): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScenarioError(`cannot read scenario: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      file: path,
    });
  }
  return parseScenario(text, path, { ...options, baseDir: dirname(path) });
}
