/**
 * The guard of one external job: a small process forked by the harness that starts the job's
 * command in a process group of its own, copies its output to the run folder, tells the
 * harness when the job prints its ready line, and ends the whole group with the run: when the
 * harness asks, and also when the harness itself is gone (its IPC channel closes), so a killed
 * harness leaves no job behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, openSync } from 'node:fs';
import { READY_LINE, type FromGuard, type ToGuard } from './external-guard-protocol.js';

let job: ChildProcess | undefined;
let exited = false;
let stopping = false;
let killed = false;
let graceMs = 20_000;

function tell(m: FromGuard): void {
  if (process.connected) process.send!(m);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** SIGTERM to the group, SIGKILL to what is left of it after the grace period. */
async function stopGroup(): Promise<void> {
  const pgid = job?.pid;
  if (pgid === undefined) return;
  stopping = true;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(pgid)) {
    killed = true;
    signalGroup(pgid, 'SIGKILL');
  }
  while (!exited) await new Promise((r) => setTimeout(r, 50));
}

function start(m: Extract<ToGuard, { type: 'start' }>): void {
  graceMs = m.graceMs;
  const out = createWriteStream(m.stdoutFile, { flags: 'a' });
  const errFd = openSync(m.stderrFile, 'a');
  job = spawn('bash', ['-c', m.command], { cwd: m.cwd, env: m.env, detached: true, stdio: ['ignore', 'pipe', errFd] });
  tell({ type: 'started', pid: job.pid! });
  let pending = '';
  let ready = false;
  job.stdout!.on('data', (chunk: Buffer) => {
    out.write(chunk);
    if (ready) return;
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    const line = lines.map((l) => l.trim()).find((l) => l === READY_LINE || l.startsWith(`${READY_LINE} `));
    if (line !== undefined) {
      ready = true;
      tell({ type: 'ready', at: Date.now(), declaration: line.slice(READY_LINE.length).trim() });
    }
  });
  job.on('error', (err) => tell({ type: 'error', message: err.message }));
  job.on('exit', (code, signal) => {
    exited = true;
    out.end();
    tell({ type: 'exited', code, signal, at: Date.now(), stopping, killed });
  });
}

process.on('message', (m: ToGuard) => {
  if (m.type === 'start') start(m);
  else void stopGroup().then(() => process.disconnect());
});

// The harness is gone (killed, or it ended without stopping the job): end the job with it.
process.on('disconnect', () => {
  void stopGroup().then(() => process.exit(0));
});

// Ctrl-C reaches the whole terminal group: the harness handles it and stops the job through the guard.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => {
  void stopGroup().then(() => process.exit(0));
});
