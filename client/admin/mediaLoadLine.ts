import type { MediaLoad } from '../../shared/mediaLoad.js';
import { byId, el } from '../lib/dom.js';
import { layerName, t } from '../lib/i18n.js';

/**
 * One line above the lesson list: each media worker's (core's) share of its CPU and the streams
 * it forwards, a mark on a busy one and on one that lowered its classrooms' picture to keep up
 * (load shedding), and a warning when every core is busy, which is when new
 * classrooms will stutter whatever the network.
 */
export function renderMediaLoad(load: MediaLoad): void {
  const line = byId('media-load');
  const parts = load.workers.map((w) => {
    const cpu = w.cpuPct === null ? '—' : `${Math.round(w.cpuPct)}%`;
    return el('span', { className: 'media-worker', dataset: { busy: String(w.busy) } }, [
      t('mediaWorker', { n: w.index + 1, cpu, streams: w.consumers }),
      w.busy ? el('span', { className: 'mark blocked', text: t('mediaBusyMark'), title: t('mediaBusyHint', { pct: load.busyPct }) }) : null,
      w.layerCap === null
        ? null
        : el('span', {
            className: 'mark shed',
            text: t('mediaShedMark', { layer: t(layerName(w.layerCap)) }),
            title: t('mediaShedHint', { pct: load.shedPct, layer: t(layerName(w.layerCap)) }),
          }),
    ]);
  });
  const allBusy = load.workers.length > 0 && load.workers.every((w) => w.busy);
  line.replaceChildren(el('strong', { text: t('mediaLoad') }), ...parts);
  const alert = byId('media-alert');
  alert.textContent = allBusy ? t('mediaAllBusy', { pct: load.busyPct }) : '';
  alert.hidden = !allBusy;
}
