/**
 * The only way our pages build DOM: text goes through textContent, never innerHTML, so
 * anything a user typed (a question, a school name) renders as inert text.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; title?: string; dataset?: Record<string, string> } = {},
  children: (Node | string | null | undefined)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  if (props.dataset) Object.assign(node.dataset, props.dataset);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

/** The token travels in the URL fragment, which browsers never send to a server. */
export function tokenFromLocation(): string | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  return params.get('token');
}
