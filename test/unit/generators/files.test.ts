import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReading, serializeReading, type Reading } from '../../../src/domain/reading.js';
import { READING_FIELDS } from '../../../src/generators/dataset.js';
import {
  DEFAULT_START_MS,
  generateToFile,
  readDataset,
  readJsonLines,
  writeReadings,
} from '../../../src/generators/files.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vitals-gen-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateToFile / readJsonLines', { timeout: 30_000 }, () => {
  it('writes JSON lines that read back identically, stamped from start at the given rate', async () => {
    const out = join(dir, 'a.jsonl');
    const truthOut = join(dir, 'a.truth.json');
    const res = await generateToFile({ seed: 1, count: 20_000, out, truthOut, rate: 100 });
    expect(res.count).toBe(20_000);
    const text = await readFile(out, 'utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(20_001);
    expect(lines[20_000]).toBe('');
    const back = await readDataset(out);
    expect(back).toHaveLength(20_000);
    expect(back.map(serializeReading).join('\n') + '\n').toBe(text);
    expect(back[0]!.event_time).toBe(DEFAULT_START_MS);
    expect(back[0]!.timestamp).toBe('2025-04-18T10:00:00.000Z');
    expect(back[1]!.event_time).toBe(DEFAULT_START_MS + 10);
    expect(back[19_999]!.event_time).toBe(DEFAULT_START_MS + 199_990);
    const truth = JSON.parse(await readFile(truthOut, 'utf8')) as { episodes: unknown[]; params: { seed: number } };
    expect(truth.params.seed).toBe(1);
    expect(truth.episodes).toEqual(JSON.parse(JSON.stringify(res.episodes)));
  });

  it('is byte-identical for the same arguments and differs for another seed', async () => {
    const [a, b, c] = ['b1.jsonl', 'b2.jsonl', 'b3.jsonl'].map((f) => join(dir, f)) as [string, string, string];
    await generateToFile({ seed: 5, count: 5000, out: a, patients: 30, rate: 250, start: 1_000_000 });
    await generateToFile({ seed: 5, count: 5000, out: b, patients: 30, rate: 250, start: 1_000_000 });
    await generateToFile({ seed: 6, count: 5000, out: c, patients: 30, rate: 250, start: 1_000_000 });
    const [ta, tb, tc] = await Promise.all([a, b, c].map((f) => readFile(f, 'utf8')));
    expect(ta).toBe(tb);
    expect(ta).not.toBe(tc);
    expect(ta!.split('\n')[1]).toContain('"event_time":1000004');
  });

  it('writes CSV with a Reading header that round-trips', async () => {
    const jsonl = join(dir, 'c.jsonl');
    const csv = join(dir, 'c.csv');
    await generateToFile({ seed: 2, count: 3000, out: jsonl });
    await generateToFile({ seed: 2, count: 3000, out: csv, format: 'csv' });
    const readings = await readDataset(jsonl);
    const lines = (await readFile(csv, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe(READING_FIELDS.join(','));
    expect(lines).toHaveLength(3001);
    const fromCsv = lines.slice(1).map((line) => {
      const cells = line.split(',');
      const o: Record<string, unknown> = {};
      READING_FIELDS.forEach((f, i) => {
        const v = cells[i]!;
        o[f] = f === 'source' || f === 'timestamp' ? v : Number(v);
      });
      const res = parseReading(JSON.stringify(o));
      if (!res.ok) throw new Error(res.reason);
      return res.reading;
    });
    expect(fromCsv).toEqual(readings);
  });

  it('names the line number of a bad line', async () => {
    const good = await readDataset(await generateFixture());
    const bad = join(dir, 'bad.jsonl');
    const broken = { ...good[2]!, heart_rate: 900 };
    await writeFile(
      bad,
      [good[0], good[1], broken, good[3]].map((r) => serializeReading(r as Reading)).join('\n') + '\n',
    );
    await expect(readDataset(bad)).rejects.toThrow(/bad\.jsonl:3: invalid reading: impossible heart_rate 900/);
    await writeFile(bad, serializeReading(good[0]!) + '\n{"patient_id":\n');
    const seen: Reading[] = [];
    await expect(
      (async () => {
        for await (const r of readJsonLines(bad)) seen.push(r);
      })(),
    ).rejects.toThrow(/:2: invalid reading: invalid JSON/);
    expect(seen).toHaveLength(1);
  });

  it('writeReadings streams any iterable and reports the count', async () => {
    const readings = await readDataset(await generateFixture());
    async function* slow() {
      for (const r of readings) yield r;
    }
    const out = join(dir, 'w.jsonl');
    expect(await writeReadings(slow(), out)).toBe(readings.length);
    expect(await readDataset(out)).toEqual(readings);
  });
});

async function generateFixture(): Promise<string> {
  const out = join(dir, 'fixture.jsonl');
  await generateToFile({ seed: 9, count: 100, out });
  return out;
}
