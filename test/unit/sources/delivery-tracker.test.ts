import { describe, expect, it } from 'vitest';
import { createDeliveryTracker } from '../../../src/sources/kafka/delivery-tracker.js';

/** Whether `promise` has settled, checked after the current microtasks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('delivery tracker', () => {
  it('resolves only once every record is acknowledged', async () => {
    const tracker = createDeliveryTracker(3);
    tracker.report(null);
    tracker.report(undefined);
    expect(await settled(tracker.done)).toBe(false);
    expect(tracker.acknowledged).toBe(2);
    tracker.report(null);
    await expect(tracker.done).resolves.toBeUndefined();
    expect(tracker.acknowledged).toBe(3);
  });

  it('resolves at once for an empty batch', async () => {
    await expect(createDeliveryTracker(0).done).resolves.toBeUndefined();
  });

  it('rejects with the first failed report, and ignores later reports', async () => {
    const tracker = createDeliveryTracker(3);
    const first = new Error('broker refused');
    tracker.report(null);
    tracker.report(first);
    tracker.report(new Error('second'));
    tracker.report(null);
    await expect(tracker.done).rejects.toBe(first);
    expect(tracker.acknowledged).toBe(1);
  });

  it('rejects when a record is refused before all were handed over', async () => {
    const tracker = createDeliveryTracker(5);
    const refused = new Error('queue full for good');
    tracker.fail(refused);
    tracker.report(null);
    await expect(tracker.done).rejects.toBe(refused);
  });
});
