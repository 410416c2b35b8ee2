/** Building DOM and SVG nodes. Data only ever reaches the page as text or attribute values, never as markup. */
export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(node: Element, attrs: Attrs | undefined, children: Child[]): void {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  apply(node, attrs, children);
  return node;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs, children);
  return node;
}

/** Replaces every child of `node`. */
export function fill(node: Element, ...children: Child[]): void {
  while (node.firstChild) node.removeChild(node.firstChild);
  apply(node, undefined, children);
}

/**
 * Brings `current` (an element on the page) to look like `next` without replacing it: attributes
 * copied, and only the children that differ swapped (compared with isEqualNode).
 */
function syncElement(current: Element, next: Element): void {
  for (const name of current.getAttributeNames()) if (!next.hasAttribute(name)) current.removeAttribute(name);
  for (const name of next.getAttributeNames()) {
    const value = next.getAttribute(name)!;
    if (current.getAttribute(name) !== value) current.setAttribute(name, value);
  }
  const wanted = [...next.childNodes];
  wanted.forEach((child, i) => {
    const old = current.childNodes[i];
    if (!old) current.appendChild(child);
    else if (!old.isEqualNode(child)) current.replaceChild(child, old);
  });
  while (current.childNodes.length > wanted.length) current.lastChild!.remove();
}

/**
 * Updates the rows of `body` in place to match `rows`, matched by `keyOf`: a row whose key is
 * already there is kept (attributes copied, only the cells that differ swapped), new rows are
 * inserted (and handed to `added`), rows that are gone are removed. A kept row keeps its
 * listeners, its focus and whatever the pointer is pressed on, so a click whose mousedown and
 * mouseup straddle a re-render (a status arrives several times a second) still lands.
 */
export function syncRows(body: HTMLTableSectionElement, rows: readonly HTMLTableRowElement[], keyOf: (row: HTMLTableRowElement) => string, added?: (row: HTMLTableRowElement) => void): void {
  const existing = new Map<string, HTMLTableRowElement>();
  for (const row of body.rows) existing.set(keyOf(row), row);
  rows.forEach((row, i) => {
    const key = keyOf(row);
    const current = existing.get(key);
    existing.delete(key);
    if (current) syncElement(current, row);
    else added?.(row);
    const wanted = current ?? row;
    if (body.rows[i] !== wanted) body.insertBefore(wanted, body.rows[i] ?? null);
  });
  for (const gone of existing.values()) gone.remove();
}

export function button(label: string, testid: string, onClick: (b: HTMLButtonElement) => void, cls?: string): HTMLButtonElement {
  const b = el('button', { type: 'button', 'data-testid': testid, text: label, class: cls });
  b.addEventListener('click', () => onClick(b));
  return b;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}
