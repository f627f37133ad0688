/**
 * Errors a user can meet. Each one says where the problem is (file or blob, block, record,
 * tuple; or scenario file, JSON path and line) so the CLI can print it in one or two lines.
 */

export class FlowlensError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FlowLogLocation {
  /** File path or blob name. */
  source?: string;
  /** Block ID (base64) or byte offset of the block within the blob. */
  block?: string;
  /** 0-based index of the record within the blob or fragment. */
  record?: number;
  /** 0-based index of the tuple within the record (counting across flow groups). */
  tuple?: number;
  /** Byte offset within the decoded input where the problem was seen. */
  offset?: number;
}

export function describeLocation(loc: FlowLogLocation): string {
  const parts: string[] = [];
  if (loc.source !== undefined) parts.push(loc.source);
  if (loc.block !== undefined) parts.push(`block ${loc.block}`);
  if (loc.record !== undefined) parts.push(`record ${loc.record}`);
  if (loc.tuple !== undefined) parts.push(`tuple ${loc.tuple}`);
  if (loc.offset !== undefined) parts.push(`byte ${loc.offset}`);
  return parts.join(', ');
}

export class FlowLogFormatError extends FlowlensError {
  readonly location: FlowLogLocation;
  readonly reason: string;
  constructor(reason: string, location: FlowLogLocation = {}, options?: { cause?: unknown }) {
    const where = describeLocation(location);
    super(where ? `${where}: ${reason}` : reason, options);
    this.reason = reason;
    this.location = location;
  }
}

export interface ScenarioLocation {
  file?: string;
  /** JSON path such as `vnets[0].subnets[2].addressPrefix`. */
  path?: string;
  line?: number;
  column?: number;
}

export class ScenarioError extends FlowlensError {
  readonly location: ScenarioLocation;
  readonly reason: string;
  constructor(reason: string, location: ScenarioLocation = {}, options?: { cause?: unknown }) {
    const parts: string[] = [];
    if (location.file) parts.push(location.line ? `${location.file}:${location.line}` : location.file);
    if (location.path) parts.push(location.path);
    super(parts.length ? `${parts.join(' ')}: ${reason}` : reason, options);
    this.reason = reason;
    this.location = location;
  }
}

/** Invalid command-line usage, unsupported queries and the like: exit code 2. */
export class UsageError extends FlowlensError {
  override readonly exitCode: number = 2;
}
