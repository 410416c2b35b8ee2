/** The notice line under the header: what an action did, or why it failed. */
import { byId } from './dom.js';

export type Notify = (text: string, kind?: 'ok' | 'bad') => void;

export const notify: Notify = (text, kind) => {
  const n = byId('notice');
  n.textContent = text;
  n.className = `notice${kind ? ` ${kind}` : ''}`;
  n.hidden = text === '';
};
