import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from '../state/store.js';
import type { ProcedureController } from '../procedures/controller.js';

export interface AppServices {
  store: AppStore;
  procedures: ProcedureController;
  quit: () => void;
  color: boolean;
  /** Reload the audit records shown on the Audit screen. */
  reloadAudit: () => void;
}

export const AppContext = createContext<AppServices | null>(null);

export function useApp(): AppServices {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('AppContext missing');
  return ctx;
}

/** Select a slice of the store; the component re-renders only when that slice changes. */
export function useAppState<T>(selector: (s: AppState) => T): T {
  return useStore(useApp().store, selector);
}
