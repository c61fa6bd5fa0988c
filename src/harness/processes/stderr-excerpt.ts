/**
 * What a failure message shows of an external job's stderr: the first line that looks like an
 * error (the cause is often far above the end, where a teardown traceback or a shutdown log
 * sits), the last lines, and where the whole log is.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Lines of the end of stderr a failure message keeps. */
const TAIL_LINES = 40;

/**
 * A line that starts a Python traceback, names an exception or an error class (ValueError,
 * java.lang.IllegalStateException, "Error: ..."), or is a log line at level ERROR or FATAL.
 */
const ERROR_LINE = /Traceback \(most recent call last\)|[A-Za-z]*(Error|Exception)\b|\b(ERROR|FATAL|SEVERE)\b/;

/** The exception line that ends a Python traceback: the first line after it that is not indented. */
function tracebackEnd(lines: readonly string[], from: number): number | undefined {
  for (let i = from + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() && !/^\s/.test(l) && !l.startsWith('Traceback')) return i;
  }
  return undefined;
}

/** The first error-looking line (1-based line numbers), with a traceback's exception line after it. */
export function firstErrorLines(lines: readonly string[]): Array<{ line: number; text: string }> {
  const i = lines.findIndex((l) => ERROR_LINE.test(l));
  if (i < 0) return [];
  const out = [{ line: i + 1, text: lines[i]!.trim() }];
  if (lines[i]!.includes('Traceback (most recent call last)')) {
    const end = tracebackEnd(lines, i);
    if (end !== undefined) out.push({ line: end + 1, text: lines[end]!.trim() });
  }
  return out;
}

/**
 * The excerpt of a stderr's text for a failure message: its first error-looking line unless the
 * tail already shows it, the last lines, and the file; indented to sit under the message.
 */
export function stderrExcerpt(text: string, file: string, tailLines = TAIL_LINES): string {
  const lines = text.trimEnd().split('\n');
  if (!text.trim()) return ` (its stderr, ${file}, is empty)`;
  const tailFrom = Math.max(0, lines.length - tailLines);
  const errors = firstErrorLines(lines).filter((e) => e.line - 1 < tailFrom);
  const parts: string[] = [];
  if (errors.length)
    parts.push(
      `the first line of its stderr that looks like an error (line ${errors[0]!.line} of ${lines.length}):`,
      ...errors.map((e) => `  ${e.line}: ${e.text}`),
    );
  parts.push(
    tailFrom > 0 ? `the last ${tailLines} lines of its stderr:` : `its stderr (${lines.length} lines):`,
    ...lines.slice(tailFrom).map((l) => `  ${l}`),
    `the whole log: ${file}`,
  );
  return `;\n  ${parts.join('\n  ')}`;
}

/** stderrExcerpt of a file ('' when the job never made one). */
export function stderrExcerptOf(file: string, tailLines = TAIL_LINES): string {
  if (!existsSync(file)) return ` (it wrote no stderr file: ${file})`;
  return stderrExcerpt(readFileSync(file, 'utf8'), file, tailLines);
}
