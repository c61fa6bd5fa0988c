/**
 * Data sets on disk: JSON lines (one serializeReading per line) or CSV, written as a stream
 * with backpressure; JSON lines read back and validated for replay.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { parseReading, serializeReading, type Reading } from '../domain/reading.js';
import { Dataset, READING_FIELDS, stampEventTime, type DatasetParams, type EpisodeTruth } from './dataset.js';
import { OpenLoopSchedule } from './schedule.js';

export type FileFormat = 'jsonl' | 'csv';

/** The seed project's date: default start of generated event times. */
export const DEFAULT_START_MS = Date.parse('2025-04-18T10:00:00.000Z');
const DEFAULT_RATE = 100;

/** Lines are grouped into chunks so the stream is not driven one tiny write at a time. */
const LINES_PER_CHUNK = 512;

async function* jsonLineChunks(
  readings: Iterable<Reading> | AsyncIterable<Reading>,
  counter: { n: number },
): AsyncGenerator<string> {
  let chunk = '';
  let inChunk = 0;
  for await (const r of readings) {
    chunk += serializeReading(r) + '\n';
    counter.n++;
    if (++inChunk === LINES_PER_CHUNK) {
      yield chunk;
      chunk = '';
      inChunk = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function* counted<T>(items: Iterable<T> | AsyncIterable<T>, counter: { n: number }): AsyncGenerator<T> {
  for await (const x of items) {
    counter.n++;
    yield x;
  }
}

/** Streams readings to `out`; resolves with the number written once the file is closed. */
export async function writeReadings(
  readings: Iterable<Reading> | AsyncIterable<Reading>,
  out: string,
  format: FileFormat = 'jsonl',
): Promise<number> {
  const counter = { n: 0 };
  if (format === 'jsonl') {
    await pipeline(Readable.from(jsonLineChunks(readings, counter), { objectMode: false }), createWriteStream(out));
  } else if (format === 'csv') {
    await pipeline(
      Readable.from(counted(readings, counter)),
      stringify({ header: true, columns: [...READING_FIELDS] }),
      createWriteStream(out),
    );
  } else {
    throw new RangeError(`unknown format ${String(format)} (jsonl or csv)`);
  }
  return counter.n;
}

/** Reads a JSON-lines data set lazily; a bad line throws an error naming its line number. */
export async function* readJsonLines(path: string): AsyncGenerator<Reading, void, undefined> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      const res = parseReading(line);
      if (!res.ok) throw new Error(`${path}:${lineNo}: invalid reading: ${res.reason}`);
      yield res.reading;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

/** Whole JSON-lines data set in memory (for replay of data sets that fit). */
export async function readDataset(path: string): Promise<Reading[]> {
  const out: Reading[] = [];
  for await (const r of readJsonLines(path)) out.push(r);
  return out;
}

export interface GenerateToFileParams extends DatasetParams {
  count: number;
  out: string;
  format?: FileFormat;
  /** Readings per second of the stamped event times. Default 100. */
  rate?: number;
  /** Epoch ms of reading 0's event time. Default 2025-04-18T10:00:00.000Z. */
  start?: number;
  /** If given, the episode ground truth is written there as JSON. */
  truthOut?: string;
}

export interface GenerateToFileResult {
  out: string;
  count: number;
  episodes: EpisodeTruth[];
}

/** Generates `count` readings stamped by an open-loop schedule; byte-identical for the same arguments. */
export async function generateToFile(p: GenerateToFileParams): Promise<GenerateToFileResult> {
  if (!Number.isSafeInteger(p.count) || p.count < 0)
    throw new RangeError(`count must be a non-negative integer, got ${p.count}`);
  const ds = new Dataset(p);
  const schedule = new OpenLoopSchedule({ start: p.start ?? DEFAULT_START_MS, rate: p.rate ?? DEFAULT_RATE });
  function* stamped(): Generator<Reading> {
    for (let i = 0; i < p.count; i++) yield stampEventTime(ds.next(), schedule.intendedMs(i));
  }
  const count = await writeReadings(stamped(), p.out, p.format ?? 'jsonl');
  const episodes = ds.episodes();
  if (p.truthOut !== undefined) {
    const params = {
      seed: ds.seed,
      patients: ds.patients,
      sources: ds.sources,
      prevalence: p.prevalence,
      episodeLength: p.episodeLength,
      count,
      rate: schedule.rate,
      start: schedule.start,
    };
    await writeFile(p.truthOut, JSON.stringify({ params, episodes }, null, 2) + '\n');
  }
  return { out: p.out, count, episodes };
}
