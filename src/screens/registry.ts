/** Which bindings apply where. Kept apart from the components so the footer and help can import it. */
import type { AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import type { AppState, ScreenName } from '../state/store.js';
import { overviewBindings } from './Overview.js';
import { serviceBindings } from './Service.js';
import { procedureBindings } from './Procedure.js';
import { auditBindings } from './Audit.js';
import { certsBindings } from './Certificates.js';
import { globalBindings, helpBindings } from './common.js';
import { commandBindings } from './CommandLine.js';
import { workloadsBindings } from './Workloads.js';
import { contextsBindings } from './Contexts.js';

/** The bindings of a screen (Help shows the screen it was opened from). */
export function bindingsFor(app: AppServices, s: AppState, screen: ScreenName): KeyBinding[] {
  switch (screen) {
    case 'overview':
      return [...overviewBindings(app, s), ...commandBindings(app, s)];
    case 'service':
      return [...serviceBindings(app, s), ...commandBindings(app, s)];
    case 'audit':
      return auditBindings(app, s);
    case 'certs':
      return [...certsBindings(app, s), ...commandBindings(app, s)];
    case 'workloads':
      return workloadsBindings(app, s);
    case 'contexts':
      return contextsBindings(app, s);
    case 'help':
      return [...helpBindings(app), ...globalBindings(app, { back: true }).filter((b) => b.label !== 'help')];
  }
}

export function currentBindings(app: AppServices, s: AppState): KeyBinding[] {
  if (s.procedure) return procedureBindings(app, s);
  return bindingsFor(app, s, s.ui.stack[s.ui.stack.length - 1] ?? 'overview');
}
