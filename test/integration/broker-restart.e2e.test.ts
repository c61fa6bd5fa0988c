/**
 * Issue 20 item 5: the consumers recover from a broker restart inside their processes, with
 * either Kafka client. A bench whose broker is SIGKILLed for 10 s completes with loss 0 and
 * duplicates 0, no role restarted by the supervisor (no crash, no restart budget spent), and
 * the consumer backlogs back at their level before the fault at most 15 s after the broker
 * answers again (the fault report's ended_at_s and recovered_at_s).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KAFKA_CLIENTS } from '../../src/infra/kafka-client/types.js';
import type { RunResult } from '../../src/results/schema.js';
import { isolation, runCli, writeShortWindowRules } from './helpers.js';

const out = mkdtempSync(join(tmpdir(), 'vitals-broker-restart-'));
const rules = writeShortWindowRules(out);

/** At most this long after the broker answers again, the backlogs are back at their level before the fault. */
const RECOVERY_AFTER_BROKER_S = 15;

describe.each(KAFKA_CLIENTS)('a 10 s broker restart is survived inside the processes (%s)', (client) => {
  it('no role restart, loss 0, duplicates 0, recovered within 15 s of the broker answering', async () => {
    const dir = join(out, client);
    const { tag } = isolation('br');
    const res = await runCli(
      [
        'bench',
        '--patients',
        '30',
        '--rules',
        rules,
        '--batch-interval',
        '3',
        '--lateness-ms',
        '500',
        '--idle-ms',
        '500',
        '--quiet',
        '--no-services',
        '--prevalence',
        '0.2',
        '--rate',
        '300',
        '--duration',
        '25',
        '--warmup',
        '2',
        '--topic-prefix',
        `br_${tag}_`,
        '--kafka-client',
        client,
        '--out',
        dir,
        '--fault',
        'kafka-restart@4s:10s',
      ],
      400_000,
    );
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    const runs = readdirSync(dir).filter((d) => d.startsWith('20'));
    expect(runs).toHaveLength(1);
    const r = JSON.parse(readFileSync(join(dir, runs[0]!, 'results.json'), 'utf8')) as RunResult;
    expect(r.complete).toBe(true);
    expect(r.verdict).toEqual({ passed: true, failures: [] });
    expect(r.storage).toMatchObject({ loss: 0, duplicates: 0 });

    const f = r.faults!.find((x) => x.injected)!;
    expect(f).toMatchObject({ fault: 'kafka-restart@4s:10s', detected_by: 'broker unreachable' });
    // The roles neither crashed nor waited to be restarted: the supervisor restarted nothing,
    // and no role exit was observed outside the injected fault either.
    expect(f.restarts).toEqual([]);
    expect(r.faults!.filter((x) => !x.injected && x.target.endsWith(' role'))).toEqual([]);
    expect(f.ended_at_s).not.toBeNull();
    expect(f.recovered_at_s, 'the backlogs never came back to their level before the fault').not.toBeNull();
    expect(f.recovered_at_s! - f.ended_at_s!).toBeLessThanOrEqual(RECOVERY_AFTER_BROKER_S);
  }, 420_000);
});
