import { UsageError } from '../../errors.js';

export type KqlErrorKind = 'invalid' | 'unsupported';

/**
 * A query that cannot run: invalid (Kusto's own diagnostic, as Azure reports it) or valid KQL
 * that flowlens does not translate. Always located; always exit code 2; nothing was executed.
 */
export class KqlError extends UsageError {
  readonly kind: KqlErrorKind;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly reason: string;
  constructor(reason: string, text: string, offset: number, kind: KqlErrorKind) {
    const { line, column } = lineColumn(text, offset);
    super(kind === 'unsupported' ? `not supported: ${reason} at ${line}:${column}` : `invalid KQL at ${line}:${column}: ${reason}`);
    this.kind = kind;
    this.line = line;
    this.column = column;
    this.offset = offset;
    this.reason = reason;
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
