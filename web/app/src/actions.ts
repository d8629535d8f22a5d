// Running writes from a page: progress in a live region, errors explained, inputs untouched.
import { explain, type App, type Write } from './chain';
import { h, notice, replace } from './ui';

/** A status area for one form: pass it to `run`. */
export function statusArea(): HTMLElement {
  return h('div', { class: 'status', 'aria-live': 'polite' });
}

/** Run `steps` (each a write or an async function) one after another, reporting into `status`.
 * Returns true when all succeeded. Never clears the form: a failed attempt can simply be retried. */
export async function run(app: App, status: HTMLElement, steps: Array<Write | ((report: (text: string) => void) => Promise<unknown>)>,
  success: string): Promise<boolean> {
  const report = (text: string) => replace(status, notice('info', text));
  app.indexerLag = null;
  try {
    for (const step of steps) {
      if (typeof step === 'function') await step(report);
      else await app.send(step, (_stage, detail) => report(detail));
    }
    replace(status, notice('success', success, app.indexerLag ? ` ${app.indexerLag}` : ''));
    return true;
  } catch (error) {
    replace(status, notice('error', explain(error).message));
    return false;
  }
}

/** Disable a button while its action runs (so a double click does not send twice). */
export function busy(buttonElement: HTMLButtonElement, action: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    buttonElement.disabled = true;
    buttonElement.setAttribute('aria-busy', 'true');
    try { await action(); } finally {
      buttonElement.disabled = false;
      buttonElement.removeAttribute('aria-busy');
    }
  };
}
