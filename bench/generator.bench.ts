/**
 * Micro-benchmark: generation + event-time stamping + JSON serialisation on one core.
 * Run: npm run build && node dist/bench/generator.bench.js
 */
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { serializeReading } from '../src/domain/reading.js';
import { Dataset, stampEventTime } from '../src/generators/dataset.js';
import { OpenLoopSchedule } from '../src/generators/schedule.js';

/** Readings per task call, so that one sample is well above timer resolution. */
const BATCH = 1000;

export async function runGeneratorBench(): Promise<void> {
  const cases = [
    { name: `9 patients, ${BATCH} readings`, patients: 9 },
    { name: `100k patients, ${BATCH} readings`, patients: 100_000 },
  ];
  const bench = new Bench({ name: 'generator: generate + stamp + serialise', time: 1000, warmupTime: 200 });
  let bytes = 0;
  for (const c of cases) {
    let ds = new Dataset({ seed: 42, patients: c.patients, sources: 3 });
    let schedule = new OpenLoopSchedule({ start: Date.parse('2025-04-18T10:00:00.000Z'), rate: 10_000 });
    let i = 0;
    bench.add(
      c.name,
      () => {
        for (let k = 0; k < BATCH; k++, i++)
          bytes += serializeReading(stampEventTime(ds.next(), schedule.intendedMs(i))).length;
      },
      {
        async: false,
        beforeAll: () => {
          ds = new Dataset({ seed: 42, patients: c.patients, sources: 3 });
          schedule = new OpenLoopSchedule({ start: Date.parse('2025-04-18T10:00:00.000Z'), rate: 10_000 });
          i = 0;
        },
      },
    );
  }
  await bench.run();

  const rows = bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== 'completed') return { task: task.name, state: r.state };
    const lat = r.latency;
    return {
      task: task.name,
      'mean (ms/batch)': lat.mean.toFixed(3),
      'p99 (ms/batch)': lat.p99.toFixed(3),
      'rme (%)': lat.rme.toFixed(2),
      samples: lat.samplesCount,
      'readings/s (mean)': Math.round((BATCH * 1000) / lat.mean).toLocaleString('en-US'),
    };
  });
  console.log(`${bench.name} (batch = ${BATCH} readings; one core, Node ${process.version})`);
  console.table(rows);
  if (bytes < 0) console.log(bytes); // keeps the serialised output observable
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runGeneratorBench();
}
