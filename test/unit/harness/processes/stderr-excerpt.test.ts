import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstErrorLines, stderrExcerpt, stderrExcerptOf } from '../../../../src/harness/processes/stderr-excerpt.js';

/** A launcher's stderr: start-up noise, the cause (a JVM exception) 60 lines above a teardown traceback. */
function flinkLikeStderr(): string {
  const lines = [
    'SLF4J: Class path contains multiple SLF4J bindings.',
    'INFO  org.apache.flink.runtime.taskexecutor - Starting TaskManager',
    'py4j.protocol.Py4JJavaError: An error occurred while calling o12.executeSql.',
    ': org.apache.flink.table.api.ValidationException: Unable to create a sink for writing table',
    ...Array.from({ length: 60 }, (_, i) => `\tat org.apache.flink.Frame${i}.call(Frame.java:${i})`),
    'Traceback (most recent call last):',
    '  File "/usr/lib/python3.11/atexit.py", line 12, in _run_exitfuncs',
    '    gateway.shutdown()',
    'ConnectionResetError: [Errno 104] Connection reset by peer',
  ];
  return `${lines.join('\n')}\n`;
}

describe('the stderr excerpt of a failed external job', () => {
  it('gives the first error-looking line far above the end, the last 40 lines and the file', () => {
    const text = flinkLikeStderr();
    const out = stderrExcerpt(text, '/runs/r1/flink.stderr.log');
    expect(out).toContain('the first line of its stderr that looks like an error (line 3 of 68):');
    expect(out).toContain('    3: py4j.protocol.Py4JJavaError: An error occurred while calling o12.executeSql.');
    expect(out).toContain('the last 40 lines of its stderr:');
    expect(out).toContain('    ConnectionResetError: [Errno 104] Connection reset by peer');
    expect(out).not.toContain('Frame23.call'); // line 28: above the last 40
    expect(out).toContain('Frame24.call');
    expect(out.trimEnd().endsWith('the whole log: /runs/r1/flink.stderr.log')).toBe(true);
  });

  it("a traceback's first line comes with its exception line", () => {
    const lines = [
      'starting',
      'Traceback (most recent call last):',
      '  File "job.py", line 3, in <module>',
      '    main()',
      "KeyError: 'VITALS_TOPICS'",
    ];
    expect(firstErrorLines(lines)).toEqual([
      { line: 2, text: 'Traceback (most recent call last):' },
      { line: 5, text: "KeyError: 'VITALS_TOPICS'" },
    ]);
    expect(firstErrorLines(['all fine', 'no errors here'])).toEqual([]);
    expect(firstErrorLines(['2026 ERROR Main - cannot bind', 'x'])).toEqual([
      { line: 1, text: '2026 ERROR Main - cannot bind' },
    ]);
  });

  it('a short stderr is shown whole (its error line not repeated); an empty or missing one is said so', () => {
    const out = stderrExcerpt('external-job: refusing to start (test)\nError: no such topic\n', 'f.log');
    expect(out).toBe(
      ';\n  its stderr (2 lines):\n    external-job: refusing to start (test)\n    Error: no such topic\n  the whole log: f.log',
    );
    expect(stderrExcerpt('\n', 'f.log')).toBe(' (its stderr, f.log, is empty)');
    const dir = mkdtempSync(join(tmpdir(), 'stderr-'));
    expect(stderrExcerptOf(join(dir, 'none.log'))).toContain('it wrote no stderr file');
    writeFileSync(join(dir, 'x.log'), flinkLikeStderr());
    expect(stderrExcerptOf(join(dir, 'x.log'))).toContain('(line 3 of 68)');
  });
});
