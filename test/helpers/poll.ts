/**
 * Polls `check` every `everyMs` until it holds; throws "<what> not within <ms> ms" if it does not
 * in time. For conditions on the server's side, read straight from it.
 */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what = 'condition', everyMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
