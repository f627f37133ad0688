/**
 * The columnar batch every decoder emits and every store ingests.
 *
 * One batch holds up to `capacity` normalised flow tuples. Numbers live in typed arrays;
 * every string column holds indexes into one dictionary (`strings`) shared by the batch's
 * string columns, so an IP or a rule name seen a thousand times is stored once. `NULL_REF`
 * marks an absent string, `NaN` an absent counter.
 *
 * Row names follow ARCHITECTURE.md ("The central data type").
 */

export const NULL_REF = 0xffffffff;

/** Flow direction relative to the NIC that logged the tuple. */
export const Direction = { I: 0, O: 1 } as const;
export type DirectionLetter = keyof typeof Direction;
export const DIRECTION_LETTERS: readonly DirectionLetter[] = ['I', 'O'];

/** Flow state; `NONE` for NSG v1 tuples, which have no state field. */
export const FlowState = { NONE: 0, B: 1, C: 2, E: 3, D: 4 } as const;
export type FlowStateLetter = 'B' | 'C' | 'E' | 'D';
export const STATE_LETTERS: readonly (FlowStateLetter | null)[] = [null, 'B', 'C', 'E', 'D'];

export const Decision = { A: 0, D: 1 } as const;
export type DecisionLetter = keyof typeof Decision;
export const DECISION_LETTERS: readonly DecisionLetter[] = ['A', 'D'];

export type FlowLogVersion = 1 | 2 | 4;

/** The string-valued columns, each an index into `FlowBatch.strings`. */
export const STRING_COLUMNS = [
  'record_time',
  'mac',
  'flow_log_id',
  'target_resource_id',
  'acl_id',
  'rule',
  'src_ip',
  'dst_ip',
  'encryption',
  'blob',
  'block',
] as const;
export type StringColumn = (typeof STRING_COLUMNS)[number];

export const COUNTER_COLUMNS = ['packets_s2d', 'bytes_s2d', 'packets_d2s', 'bytes_d2s'] as const;
export type CounterColumn = (typeof COUNTER_COLUMNS)[number];

export interface FlowBatch {
  /** Rows in use; the typed arrays may be longer. */
  length: number;
  /** Dictionary shared by all string columns of this batch. */
  strings: string[];
  time_ms: Float64Array;
  version: Uint8Array;
  src_port: Uint16Array;
  dst_port: Uint16Array;
  /** IANA protocol number (NSG `T`/`U` are normalised to 6/17). */
  protocol: Uint8Array;
  direction: Uint8Array;
  state: Uint8Array;
  decision: Uint8Array;
  packets_s2d: Float64Array;
  bytes_s2d: Float64Array;
  packets_d2s: Float64Array;
  bytes_d2s: Float64Array;
  record_time: Uint32Array;
  mac: Uint32Array;
  flow_log_id: Uint32Array;
  target_resource_id: Uint32Array;
  acl_id: Uint32Array;
  rule: Uint32Array;
  src_ip: Uint32Array;
  dst_ip: Uint32Array;
  encryption: Uint32Array;
  blob: Uint32Array;
  block: Uint32Array;
}

/** One row as a plain object: for tests, the `parse` command and small tools, never a hot path. */
export interface FlowRow {
  time_ms: number;
  record_time: string;
  version: FlowLogVersion;
  mac: string;
  flow_log_id: string;
  target_resource_id: string | null;
  acl_id: string | null;
  rule: string;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  protocol: number;
  direction: DirectionLetter;
  state: FlowStateLetter | null;
  decision: DecisionLetter;
  encryption: string | null;
  packets_s2d: number | null;
  bytes_s2d: number | null;
  packets_d2s: number | null;
  bytes_d2s: number | null;
  blob: string | null;
  block: string | null;
}

export const FLOW_ROW_COLUMNS: readonly (keyof FlowRow)[] = [
  'time_ms',
  'record_time',
  'version',
  'mac',
  'flow_log_id',
  'target_resource_id',
  'acl_id',
  'rule',
  'src_ip',
  'dst_ip',
  'src_port',
  'dst_port',
  'protocol',
  'direction',
  'state',
  'decision',
  'encryption',
  'packets_s2d',
  'bytes_s2d',
  'packets_d2s',
  'bytes_d2s',
  'blob',
  'block',
];

export function allocateFlowBatch(capacity: number): FlowBatch {
  return {
    length: 0,
    strings: [],
    time_ms: new Float64Array(capacity),
    version: new Uint8Array(capacity),
    src_port: new Uint16Array(capacity),
    dst_port: new Uint16Array(capacity),
    protocol: new Uint8Array(capacity),
    direction: new Uint8Array(capacity),
    state: new Uint8Array(capacity),
    decision: new Uint8Array(capacity),
    packets_s2d: new Float64Array(capacity),
    bytes_s2d: new Float64Array(capacity),
    packets_d2s: new Float64Array(capacity),
    bytes_d2s: new Float64Array(capacity),
    record_time: new Uint32Array(capacity),
    mac: new Uint32Array(capacity),
    flow_log_id: new Uint32Array(capacity),
    target_resource_id: new Uint32Array(capacity),
    acl_id: new Uint32Array(capacity),
    rule: new Uint32Array(capacity),
    src_ip: new Uint32Array(capacity),
    dst_ip: new Uint32Array(capacity),
    encryption: new Uint32Array(capacity),
    blob: new Uint32Array(capacity),
    block: new Uint32Array(capacity),
  };
}

export function capacityOf(batch: FlowBatch): number {
  return batch.time_ms.length;
}

/**
 * Interns strings into a batch's dictionary. A builder keeps one `Map` per batch so that
 * repeated values (rule names, MACs, IPs) cost one lookup and no new string.
 */
export interface StringInterner {
  intern(value: string | null | undefined): number;
  reset(strings: string[]): void;
}

export function createInterner(strings: string[] = []): StringInterner {
  let dict = strings;
  let index = new Map<string, number>();
  for (let i = 0; i < dict.length; i++) index.set(dict[i], i);
  return {
    intern(value) {
      if (value === null || value === undefined) return NULL_REF;
      let ref = index.get(value);
      if (ref === undefined) {
        ref = dict.length;
        dict.push(value);
        index.set(value, ref);
      }
      return ref;
    },
    reset(next) {
      dict = next;
      index = new Map();
      for (let i = 0; i < dict.length; i++) index.set(dict[i], i);
    },
  };
}

export function stringAt(batch: FlowBatch, column: StringColumn, row: number): string | null {
  const ref = batch[column][row];
  return ref === NULL_REF ? null : batch.strings[ref];
}

function counter(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

export function rowAt(batch: FlowBatch, i: number): FlowRow {
  if (i < 0 || i >= batch.length) throw new RangeError(`row ${i} outside batch of ${batch.length}`);
  return {
    time_ms: batch.time_ms[i],
    record_time: stringAt(batch, 'record_time', i) ?? '',
    version: batch.version[i] as FlowLogVersion,
    mac: stringAt(batch, 'mac', i) ?? '',
    flow_log_id: stringAt(batch, 'flow_log_id', i) ?? '',
    target_resource_id: stringAt(batch, 'target_resource_id', i),
    acl_id: stringAt(batch, 'acl_id', i),
    rule: stringAt(batch, 'rule', i) ?? '',
    src_ip: stringAt(batch, 'src_ip', i) ?? '',
    dst_ip: stringAt(batch, 'dst_ip', i) ?? '',
    src_port: batch.src_port[i],
    dst_port: batch.dst_port[i],
    protocol: batch.protocol[i],
    direction: DIRECTION_LETTERS[batch.direction[i]],
    state: STATE_LETTERS[batch.state[i]],
    decision: DECISION_LETTERS[batch.decision[i]],
    encryption: stringAt(batch, 'encryption', i),
    packets_s2d: counter(batch.packets_s2d[i]),
    bytes_s2d: counter(batch.bytes_s2d[i]),
    packets_d2s: counter(batch.packets_d2s[i]),
    bytes_d2s: counter(batch.bytes_d2s[i]),
    blob: stringAt(batch, 'blob', i),
    block: stringAt(batch, 'block', i),
  };
}

export function* rowsOf(batch: FlowBatch): Generator<FlowRow> {
  for (let i = 0; i < batch.length; i++) yield rowAt(batch, i);
}

/** Appends one row given as an object; for tests and tools that build small batches. */
export function pushRow(batch: FlowBatch, interner: StringInterner, row: FlowRow): void {
  const i = batch.length;
  if (i >= capacityOf(batch)) throw new RangeError(`batch is full (${i} rows)`);
  batch.time_ms[i] = row.time_ms;
  batch.version[i] = row.version;
  batch.src_port[i] = row.src_port;
  batch.dst_port[i] = row.dst_port;
  batch.protocol[i] = row.protocol;
  batch.direction[i] = Direction[row.direction];
  batch.state[i] = row.state === null ? FlowState.NONE : FlowState[row.state];
  batch.decision[i] = Decision[row.decision];
  batch.packets_s2d[i] = row.packets_s2d ?? NaN;
  batch.bytes_s2d[i] = row.bytes_s2d ?? NaN;
  batch.packets_d2s[i] = row.packets_d2s ?? NaN;
  batch.bytes_d2s[i] = row.bytes_d2s ?? NaN;
  batch.record_time[i] = interner.intern(row.record_time);
  batch.mac[i] = interner.intern(row.mac);
  batch.flow_log_id[i] = interner.intern(row.flow_log_id);
  batch.target_resource_id[i] = interner.intern(row.target_resource_id);
  batch.acl_id[i] = interner.intern(row.acl_id);
  batch.rule[i] = interner.intern(row.rule);
  batch.src_ip[i] = interner.intern(row.src_ip);
  batch.dst_ip[i] = interner.intern(row.dst_ip);
  batch.encryption[i] = interner.intern(row.encryption);
  batch.blob[i] = interner.intern(row.blob);
  batch.block[i] = interner.intern(row.block);
  batch.length = i + 1;
}

export function flowBatchFromRows(rows: readonly FlowRow[]): FlowBatch {
  const batch = allocateFlowBatch(Math.max(rows.length, 1));
  const interner = createInterner(batch.strings);
  for (const row of rows) pushRow(batch, interner, row);
  return batch;
}
