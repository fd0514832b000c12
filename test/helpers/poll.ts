/**
 * eventually polls an async condition until it holds or the deadline passes,
 * then throws with `what` and the last value seen, so a failure says what the
 * test was waiting for. Tests wait for real conditions this way, never with a
 * fixed sleep.
 */
export async function eventually<T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await Bun.sleep(10);
  }
}

/** within resolves with the promise's value, or rejects naming `what` after `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
