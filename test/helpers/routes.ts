import type { Express } from 'express';

interface Layer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route registered under /api, as "METHOD /full/path", read from Express's router stack. */
export function registeredEndpoints(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const raw = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.route) {
        const full = `${prefix}${layer.route.path === '/' ? '' : layer.route.path}`;
        for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.push(`${m.toUpperCase()} ${full}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, `${prefix}${raw}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out.filter((e) => e.split(' ')[1]!.startsWith('/api/')).sort();
}

