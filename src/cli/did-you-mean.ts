/**
 * "did you mean" for an option typed wrong: yargs' strict mode says "Unknown arguments:
 * batch-intervall, batchIntervall" and stops there; the message gains, for each unknown option,
 * the declared option it most likely meant (edit distance, a swap of two letters counting one).
 */

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The declared option `typed` most likely meant: the closest within a third of its length, or the one it begins. */
export function closestOption(typed: string, declared: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of declared) {
    const d = editDistance(t, name.toLowerCase());
    if (!best || d < best.d) best = { name, d };
  }
  if (best && best.d <= Math.max(1, Math.floor(t.length / 3))) return best.name;
  const prefixed = declared.filter((n) => n.startsWith(t));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/**
 * yargs' unknown-argument message with a suggestion for each unknown option. `declared`: the
 * command's options as typed on the command line (kebab case); `isOption`: whether an unknown
 * name was typed as an option (--name), not as a positional word. Other messages pass unchanged.
 */
export function withSuggestions(
  message: string,
  declared: readonly string[],
  isOption: (name: string) => boolean,
): string {
  const m = /^Unknown arguments?: (.+)$/.exec(message);
  if (!m) return message;
  const names = m[1]!.split(', ');
  const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  // yargs lists an option's camel-case alias beside it (batch-intervall, batchIntervall): keep one.
  const shown = names.filter((n) => !(n !== kebab(n) && names.includes(kebab(n))));
  const options = declared.filter((d) => d === kebab(d) && d.length > 1);
  const parts = shown.map((n) => {
    if (!isOption(n)) return n;
    const guess = closestOption(n, options);
    return `--${n}${guess ? ` (did you mean --${guess}?)` : ''}`;
  });
  return `Unknown argument${parts.length > 1 ? 's' : ''}: ${parts.join(', ')}`;
}
