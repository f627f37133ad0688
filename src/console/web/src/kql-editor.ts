/// <reference lib="dom" />
/**
 * The query editor: CodeMirror 6 with a small KQL/SQL tokenizer for highlighting and a
 * completion source of our tables, their columns (from /api/schema), KQL operators and
 * functions. Tab is left to the browser so keyboard users can leave the editor.
 */
import { EditorView, keymap, lineNumbers, highlightActiveLine, placeholder as placeholderExt } from '@codemirror/view';
import { EditorState } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching } from '@codemirror/language';
import { autocompletion, completionKeymap, type CompletionContext, type Completion } from '@codemirror/autocomplete';

export const KQL_OPERATORS = [
  'where', 'filter', 'project', 'project-away', 'project-rename', 'extend', 'summarize', 'by', 'top', 'take', 'limit',
  'sort', 'order', 'asc', 'desc', 'nulls', 'first', 'last', 'distinct', 'count', 'join', 'kind', 'on', 'union', 'let',
  'mv-expand', 'mvexpand', 'to', 'typeof', 'render', 'between', 'and', 'or', 'not', 'in', 'has', 'contains',
  'startswith', 'endswith', 'matches', 'regex', 'inner', 'innerunique', 'leftouter', 'rightouter', 'fullouter',
  'leftanti', 'leftsemi',
];
export const KQL_FUNCTIONS = [
  'count', 'countif', 'sum', 'sumif', 'avg', 'min', 'max', 'dcount', 'make_set', 'makeset', 'make_list', 'arg_max',
  'arg_min', 'percentile', 'ago', 'now', 'datetime', 'bin', 'floor', 'strcat', 'split', 'tostring', 'toint', 'tolong',
  'todouble', 'tolower', 'toupper', 'strlen', 'isempty', 'isnotempty', 'isnull', 'isnotnull', 'iif', 'iff', 'case',
  'extract', 'pack_array', 'array_length', 'coalesce', 'ipv4_is_in_range', 'format_datetime',
];
export const RENDER_KINDS = ['columnchart', 'barchart', 'piechart', 'timechart', 'linechart', 'areachart', 'table'];
const SQL_WORDS = ['select', 'from', 'where', 'group', 'order', 'having', 'limit', 'as', 'case', 'when', 'then', 'else', 'end', 'with', 'union', 'all', 'distinct', 'join', 'left', 'inner', 'on', 'and', 'or', 'not', 'in', 'is', 'null', 'like'];

const keywordSet = new Set([...KQL_OPERATORS, ...SQL_WORDS]);
const functionSet = new Set(KQL_FUNCTIONS);

const kqlLanguage = StreamLanguage.define<{ inString: string | null }>({
  name: 'kql',
  startState: () => ({ inString: null }),
  token(stream, state) {
    if (state.inString) {
      while (!stream.eol()) {
        const ch = stream.next();
        if (ch === '\\') stream.next();
        else if (ch === state.inString) {
          state.inString = null;
          break;
        }
      }
      return 'string';
    }
    if (stream.eatSpace()) return null;
    if (stream.match('//') || stream.match('--')) {
      stream.skipToEnd();
      return 'comment';
    }
    const ch = stream.peek();
    if (ch === '"' || ch === "'") {
      state.inString = stream.next() as string;
      return 'string';
    }
    if (stream.match(/^\d+(\.\d+)?(ms|s|m|h|d)?\b/)) return 'number';
    if (stream.match(/^[A-Za-z_][\w-]*/)) {
      const word = stream.current();
      const lower = word.toLowerCase();
      if (functionSet.has(lower) && stream.peek() === '(') return 'variableName.function';
      if (keywordSet.has(lower)) return 'keyword';
      if (/^[A-Z]/.test(word)) return 'typeName';
      return 'variableName';
    }
    if (stream.match(/^[|=<>!~+\-*/%,.()[\]]/)) return 'operator';
    stream.next();
    return null;
  },
});

export type Schema = Record<string, { name: string; type: string }[]>;

export function completionSource(schema: Schema) {
  const tables = Object.keys(schema);
  const columnOptions = new Map<string, Completion>();
  for (const [table, cols] of Object.entries(schema)) {
    for (const c of cols) if (!columnOptions.has(c.name)) columnOptions.set(c.name, { label: c.name, type: 'property', detail: `${c.type} · ${table}` });
  }
  const base: Completion[] = [
    ...tables.map((t) => ({ label: t, type: 'class', detail: 'table', boost: 2 })),
    ...KQL_OPERATORS.map((k) => ({ label: k, type: 'keyword' })),
    ...KQL_FUNCTIONS.map((f) => ({ label: f, type: 'function', apply: `${f}(` })),
    ...RENDER_KINDS.map((r) => ({ label: r, type: 'enum', detail: 'render' })),
  ];
  return (context: CompletionContext) => {
    const word = context.matchBefore(/[\w-]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    // Columns of the tables named in the query first.
    const text = context.state.doc.toString();
    const named = tables.filter((t) => new RegExp(`\\b${t}\\b`).test(text));
    const cols: Completion[] = named.length
      ? named.flatMap((t) => schema[t].map((c) => ({ label: c.name, type: 'property', detail: `${c.type} · ${t}`, boost: 1 })))
      : [...columnOptions.values()];
    const seen = new Set<string>();
    const options = [...cols, ...base].filter((o) => (seen.has(o.label) ? false : (seen.add(o.label), true)));
    return { from: word.from, options, validFor: /^[\w-]*$/ };
  };
}

export function createEditor(parent: HTMLElement, doc: string, schema: Schema, onRun: () => void, label: string): EditorView {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        history(),
        highlightActiveLine(),
        bracketMatching(),
        kqlLanguage,
        syntaxHighlighting(defaultHighlightStyle),
        autocompletion({ override: [completionSource(schema)], activateOnTyping: true }),
        placeholderExt('NTANetAnalytics | summarize count() by FlowType'),
        keymap.of([{ key: 'Mod-Enter', run: () => (onRun(), true) }, ...completionKeymap, ...defaultKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true' }),
      ],
    }),
  });
}
