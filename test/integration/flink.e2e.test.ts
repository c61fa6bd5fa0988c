import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { parseReading, serializeReading, type Reading } from '../../src/domain/reading.js';
import { MALFORMED_KINDS, malformedPayload } from '../../src/generators/faults.js';
import { benchExampleBesideStream, setUpExample } from './helpers.js';

const FLINK_PYTHON = join(PROJECT_ROOT, '.cache/flink/venv/bin/python');
const FLINK_JOB = join(PROJECT_ROOT, 'examples/flink/vitals_job.py');

/** Pids of the processes whose environment names this run (the job and its JVM inherit it). */
function processesOfRun(runId: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`VITALS_RUN_ID=${runId}`))
        out.push(Number(entry));
    } catch {
      // ended, or not ours to read
    }
  }
  return out;
}

/**
 * Messages that probe every check of parseReading(): valid readings (some written in ways
 * JSON.stringify never writes), and messages each wrong in one way.
 */
function probeMessages(runId: string, prefix: string): { topic: string; value: string | null }[] {
  const now = Date.now();
  const topic = `${prefix}health_data_source1`;
  const r: Reading = {
    patient_id: 1001,
    source: 'Device_A',
    seq: 7,
    event_time: now - 1000,
    heart_rate: 80,
    body_temperature: 36.6,
    blood_pressure_systolic: 120,
    blood_pressure_diastolic: 80,
    spo2_level: 97,
    timestamp: new Date(now - 1000).toISOString(),
    run_id: runId,
  };
  const json = serializeReading(r);
  const body = json.slice(1, -1);
  const withField = (field: string, literal: string): string => `{${body},"${field}":${literal}}`;
  const values: string[] = [
    json,
    ...MALFORMED_KINDS.map((kind) => malformedPayload(kind, r)),
    ` \n${json}\t `,
    `${json} x`,
    `${json}]`,
    `${json}}`,
    `${json},{}`,
    `[${json}]`,
    `"${json.replace(/"/g, '\\"')}"`,
    '42',
    `\uFEFF${json}`,
    serializeReading({ ...r, run_id: 'another_run' }),
    JSON.stringify({ ...r, run_id: undefined }),
    withField('run_id', '5'),
    withField('timestamp', 'null'),
    JSON.stringify({ ...r, extra: { nested: [1, { deep: true }] } }),
    withField('heart_rate', '900'),
    withField('heart_rate', '80.0'),
    withField('heart_rate', '1.5e2'),
    withField('heart_rate', '80.5'),
    withField('heart_rate', '"80"'),
    withField('heart_rate', 'null'),
    withField('heart_rate', 'true'),
    withField('heart_rate', '[80]'),
    withField('heart_rate', '{"v":80}'),
    withField('heart_rate', '1e400'),
    withField('heart_rate', '080'),
    withField('heart_rate', 'NaN'),
    withField('heart_rate', '20'),
    withField('heart_rate', '19'),
    withField('heart_rate', '300'),
    withField('heart_rate', '301'),
    withField('body_temperature', '36.65'),
    withField('body_temperature', '36.6000000001'),
    withField('body_temperature', '45'),
    withField('body_temperature', '45.1'),
    withField('body_temperature', '25.0'),
    withField('body_temperature', '24.9'),
    withField('body_temperature', '"36.6"'),
    withField('spo2_level', '100'),
    withField('spo2_level', '101'),
    withField('spo2_level', '50'),
    withField('spo2_level', '49'),
    withField('blood_pressure_diastolic', '120'),
    withField('blood_pressure_diastolic', '119'),
    withField('blood_pressure_systolic', '301'),
    withField('blood_pressure_systolic', '40'),
    withField('blood_pressure_systolic', '39'),
    withField('blood_pressure_diastolic', '20'),
    withField('blood_pressure_diastolic', '19'),
    `{${body.replace('"blood_pressure_systolic":120', '"blood_pressure_systolic":250')},"blood_pressure_diastolic":200}`,
    `{${body.replace('"blood_pressure_systolic":120', '"blood_pressure_systolic":250')},"blood_pressure_diastolic":201}`,
    withField('patient_id', '2147483647'),
    withField('patient_id', '2147483648'),
    withField('patient_id', '-0'),
    withField('patient_id', '-1'),
    withField('patient_id', '1001.5'),
    withField('seq', '4294967295'),
    withField('seq', '4294967296'),
    withField('seq', '1e2'),
    withField('event_time', '946684799999'),
    withField('event_time', '946684800000'),
    withField('event_time', String(now + 60_000)),
    withField('event_time', String(now + 600_000)),
    withField('event_time', '9007199254740993'),
    withField('event_time', `${now}.5`),
    withField('source', '"Device_\\u0041"'),
    withField('source', '"Device_B"'),
    withField('source', '""'),
    withField('source', '7'),
    // Two heart rates: JSON.parse keeps the last, as Jackson does.
    `{"heart_rate":900,${body}}`,
    `{${body},"heart_rate":900}`,
  ];
  const messages: { topic: string; value: string | null }[] = values.map((value) => ({ topic, value }));
  messages.push({ topic, value: null });
  messages.push({ topic: `${prefix}health_data_source2`, value: serializeReading({ ...r, source: 'Device_B' }) });
  messages.push({ topic: `${prefix}health_data_source12`, value: serializeReading({ ...r, source: 'Device_12' }) });
  // A topic outside the health_data_sourceN naming: the source is only checked for its length.
  for (const source of ['', 'x'.repeat(32), 'x'.repeat(33), 'Device_A'])
    messages.push({ topic: `${prefix}other_topic`, value: serializeReading({ ...r, source }) });
  return messages;
}

// The Flink SQL example (examples/flink) as an external mode on the real services, beside the
// built-in stream: its rules, its checks of the messages, and its stop.
describe('the Flink example as an external mode', () => {
  const out = mkdtempSync(join(tmpdir(), 'vitals-flink-'));

  beforeAll(() => setUpExample('flink'), 900_000);

  it('accepts exactly the messages parseReading() accepts, for its run only', () => {
    const runId = 'flink_checks';
    const messages = probeMessages(runId, 'flink_checks_');
    const file = join(out, 'messages.json');
    writeFileSync(file, JSON.stringify({ run_id: runId, messages }));
    const expected = messages.flatMap(({ topic, value }, i) => {
      const parsed = parseReading(value, { runId, topic, now: Date.now() });
      // The contract: a message of another run, or of none, is skipped.
      return parsed.ok && parsed.reading.run_id === runId ? [i] : [];
    });
    const stdout = execFileSync(FLINK_PYTHON, [FLINK_JOB, '--check-readings', file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 300_000,
    });
    const accepted = JSON.parse(stdout.trim().split('\n').pop()!) as number[];
    const show = (ids: number[]): string[] => ids.map((i) => `${i}: ${messages[i]!.value}`);
    expect(show(accepted)).toEqual(show(expected));
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(messages.length - 30);
  }, 300_000);

  it('agrees with the rule reference and the stream exactly, stops on SIGTERM and leaves no process', async () => {
    const { dir, result } = await benchExampleBesideStream('flink', out);
    expect(readFileSync(join(dir, 'flink.stdout.log'), 'utf8')).toMatch(
      /^VITALS_READY \{"rules": \["seed_hr_high", "seed_spo2_low"\]\}$/m,
    );
    expect(readFileSync(join(dir, 'flink.stderr.log'), 'utf8')).toContain('vitals_job: job cancelled');
    // Neither the launcher nor its JVM is left: nothing on the machine carries the run's id.
    expect(processesOfRun(result.run_id)).toEqual([]);
  }, 900_000);
});
