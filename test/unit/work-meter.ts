// Counts the work a piece of code does on strings, independent of the machine's speed: every regex
// exec (how far it searched), every string slice or scan (how many characters it touched) and every
// array scan (how many elements). A rule that is linear in its input does work proportional to the
// input's length; one that re-reads a line or a list per match does work that grows with its square.
// The regexes executed are collected too, so their structure can be checked (see rules-redos.test.ts).

export interface Work {
  /** Characters and elements touched, summed over every call counted. */
  units: number;
  /** Regex exec calls (String.prototype.match/replace/split/search and RegExp#test all go through exec). */
  regexCalls: number;
  /** The distinct regexes executed, by source and flags. */
  regexes: Map<string, RegExp>;
  /** Units by built-in (`String#slice`, `RegExp#exec`, ...), to say where the work went. */
  byMethod: Map<string, number>;
}

/** The built-ins that did most of the work, for a failure message. */
export function topMethods(work: Work, count = 3): string {
  return [...work.byMethod.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, units]) => `${name} ${Math.round((100 * units) / Math.max(1, work.units))}%`)
    .join(', ');
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Runs `body` with the string, regex and array built-ins counted; restores them afterwards. */
export async function measureWork<T>(body: () => Promise<T> | T): Promise<{ result: T; work: Work }> {
  const work: Work = { units: 0, regexCalls: 0, regexes: new Map(), byMethod: new Map() };
  const restore: (() => void)[] = [];
  const charge = (method: string, units: number): void => {
    work.units += units;
    work.byMethod.set(method, (work.byMethod.get(method) ?? 0) + units);
  };
  const patch = <O extends object>(owner: O, name: string, cost: (self: unknown, args: unknown[], result: unknown) => number): void => {
    const original = (owner as Record<string, AnyFunction>)[name];
    const label = `${owner === String.prototype ? 'String' : 'Array'}#${name}`;
    (owner as Record<string, AnyFunction>)[name] = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      charge(label, Math.max(1, cost(this, args, result)));
      return result;
    };
    restore.push(() => {
      (owner as Record<string, AnyFunction>)[name] = original;
    });
  };
  const length = (self: unknown): number => (typeof self === 'string' ? self.length : Array.isArray(self) ? self.length : 0);

  const originalExec = RegExp.prototype.exec;
  RegExp.prototype.exec = function (this: RegExp, input: string) {
    const from = this.global || this.sticky ? this.lastIndex : 0;
    const match = originalExec.call(this, input);
    work.regexCalls++;
    const key = `/${this.source}/${this.flags}`;
    if (!work.regexes.has(key)) work.regexes.set(key, this);
    const text = String(input);
    // The least a search reads: from where it starts to the end of its match, or to the end of the
    // text; a sticky match (split's, at one position) that fails reads from its position on only.
    const reach = match ? match.index + match[0].length : this.sticky ? from + 1 : text.length;
    charge('RegExp#exec', Math.max(1, reach - from));
    return match;
  };
  restore.push(() => {
    RegExp.prototype.exec = originalExec;
  });

  const S = String.prototype;
  // V8 makes a slice of a long string a view (no copy), so a slice costs one unit; what is then read
  // from it (a regex, a split, an indexOf) is counted where it is read.
  for (const name of ['slice', 'substring', 'substr', 'trim', 'trimStart', 'trimEnd']) patch(S, name, () => 1);
  for (const name of ['toLowerCase', 'toUpperCase', 'normalize', 'padStart', 'padEnd', 'repeat', 'concat']) {
    patch(S, name, (_self, _args, result) => (typeof result === 'string' ? result.length : 0));
  }
  patch(S, 'indexOf', (self, args, result) => {
    const from = Math.max(0, Number(args[1] ?? 0) || 0);
    return (result as number) >= 0 ? (result as number) - from + String(args[0]).length : length(self) - from;
  });
  patch(S, 'lastIndexOf', (self, args, result) => {
    const from = args[1] === undefined ? length(self) : Math.min(length(self), Number(args[1]) || 0);
    return (result as number) >= 0 ? from - (result as number) + String(args[0]).length : from;
  });
  // split with a regex would call the patched exec at every position (the spec's slow path); it reads
  // the string once, so it runs on the original exec and is charged the string's length.
  const originalSplit = String.prototype.split;
  String.prototype.split = function (this: string, separator: unknown, limit?: number) {
    const patchedExec = RegExp.prototype.exec;
    RegExp.prototype.exec = originalExec;
    try {
      return originalSplit.call(this, separator as { [Symbol.split](string: string, limit?: number): string[] }, limit);
    } finally {
      RegExp.prototype.exec = patchedExec;
      charge('String#split', Math.max(1, this.length));
    }
  } as typeof String.prototype.split;
  restore.push(() => {
    String.prototype.split = originalSplit;
  });
  for (const name of ['includes', 'replace', 'replaceAll', 'match', 'matchAll', 'search', 'localeCompare']) {
    patch(S, name, (self) => length(self));
  }
  patch(S, 'startsWith', (_self, args) => String(args[0]).length);
  patch(S, 'endsWith', (_self, args) => String(args[0]).length);
  const A = Array.prototype;
  for (const name of ['some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'filter', 'map', 'flatMap', 'forEach', 'reduce', 'includes', 'indexOf', 'lastIndexOf', 'join', 'slice', 'concat', 'sort', 'reverse']) {
    patch(A, name, (self) => length(self));
  }
  try {
    const result = await body();
    return { result, work };
  } finally {
    for (const undo of restore.reverse()) undo();
  }
}
