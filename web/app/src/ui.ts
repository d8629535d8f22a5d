// Small DOM helpers: elements built with textContent (never innerHTML), forms with labels,
// a polite live region for progress and an assertive one for errors.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value as EventListener);
    } else if (value === true) {
      element.setAttribute(key, '');
    } else {
      element.setAttribute(key, String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

let fieldCounter = 0;

/** A labelled input (or select/textarea passed in) with an optional hint, wired with aria-describedby. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = control.id || `field-${++fieldCounter}`;
  control.id = id;
  const wrapper = h('div', { class: 'field' }, h('label', { for: id }, label), control);
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    wrapper.appendChild(h('small', { id: hintId, class: 'hint' }, hint));
  }
  return wrapper;
}

export function input(attrs: Attrs = {}): HTMLInputElement {
  return h('input', { type: 'text', ...attrs });
}

export function select(options: Array<[string, string]>, attrs: Attrs = {}): HTMLSelectElement {
  const element = h('select', attrs);
  for (const [value, text] of options) element.appendChild(h('option', { value }, text));
  return element;
}

export function button(text: string, onclick: (event: Event) => unknown, attrs: Attrs = {}): HTMLButtonElement {
  return h('button', { type: 'button', onclick: (event: Event) => { void onclick(event); }, ...attrs }, text);
}

export function table(headers: string[], rows: Child[][], caption?: string): HTMLTableElement {
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell))))));
}

/** A message box: kind "error" is announced at once (role=alert), others politely. */
export function notice(kind: 'info' | 'success' | 'error', ...children: Child[]): HTMLElement {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, text);
}

export function replace(target: HTMLElement, ...children: Child[]): void {
  target.replaceChildren();
  append(target, ...children);
}
