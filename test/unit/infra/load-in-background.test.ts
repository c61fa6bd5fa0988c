import { describe, expect, it } from 'vitest';
import { loadInBackground } from '../../../src/infra/kafka-client/load-in-background.js';

describe('loadInBackground', () => {
  it('starts loading when created, not on first use, and loads once', async () => {
    let loads = 0;
    const get = loadInBackground(() => {
      loads++;
      return Promise.resolve({ name: 'module' });
    });
    expect(loads).toBe(1);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(loads).toBe(1);
  });

  it('reports a failed load to its user, and not as an unhandled rejection before', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const get = loadInBackground(() => Promise.reject(new Error('cannot load')));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      await expect(get()).rejects.toThrow('cannot load');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
