import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { parseReading } from '../../../src/domain/reading.js';
import { startDeviceApi, type DeviceApi } from '../../../src/generators/device-api.js';

let api: DeviceApi;
let clock = 1_744_970_400_000;
beforeAll(async () => {
  api = await startDeviceApi({ port: 0, seed: 1, now: () => clock++ });
});
afterAll(async () => {
  await api.close();
});

const get = async (path: string) => {
  const res = await fetch(api.url + path);
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
};

describe('device API', () => {
  it('listens on a free port on 127.0.0.1', () => {
    expect(api.port).toBeGreaterThan(0);
    expect(api.url).toBe(`http://127.0.0.1:${api.port}`);
  });

  it('GET /source2 returns Device_B readings of patients 2001.. with the seed fields', async () => {
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await get('/source2')).body);
    expect(bodies.map((b) => b.patient_id)).toEqual([2001, 2002, 2003, 2001]);
    expect(bodies.map((b) => b.seq)).toEqual([0, 0, 0, 1]);
    for (const b of bodies) {
      expect(b.source).toBe('Device_B');
      for (const f of [
        'heart_rate',
        'body_temperature',
        'blood_pressure_systolic',
        'blood_pressure_diastolic',
        'spo2_level',
        'timestamp',
        'event_time',
      ]) {
        expect(b).toHaveProperty(f);
      }
      expect(b.timestamp).toBe(new Date(b.event_time as number).toISOString());
      expect(parseReading(JSON.stringify(b)).ok).toBe(true);
    }
  });

  it('GET /patient_vitals returns the next reading of any source', async () => {
    const r = await get('/patient_vitals');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(r.body.patient_id).toBe(1001);
    expect(parseReading(JSON.stringify(r.body)).ok).toBe(true);
  });

  it('answers 404 JSON for unknown paths and sources', async () => {
    for (const path of ['/nope', '/source4', '/source0', '/source2/x']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.error).toBe('not found');
    }
  });
});
