import { t } from './i18n.js';
import type { Key } from './i18n.js';

/** Runs a request from a button, showing its error (or a success text) next to it. */
export async function withFeedback(
  button: HTMLButtonElement | null,
  message: HTMLElement,
  run: () => Promise<unknown>,
  success?: Key,
): Promise<boolean> {
  message.textContent = '';
  message.classList.remove('ok-text');
  if (button) button.disabled = true;
  try {
    await run();
    if (success) {
      message.textContent = t(success);
      message.classList.add('ok-text');
    }
    return true;
  } catch (err) {
    message.textContent = err instanceof Error ? err.message : String(err);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}
