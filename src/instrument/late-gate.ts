/**
 * The budget gate of a client whose default ledger is still opening (see `ledger/deferred.ts`).
 * Budgets registered on the default ledger (`(await defaultLedger()).addBudget(…)`) apply to
 * every client recording to it: this gate is inactive until the ledger opens, then it is the
 * gate `create` makes over the open ledger. No budget can be missed in between: registering one
 * takes the open ledger, and the gate is made in the first reaction to the open, before anyone
 * who awaits `defaultLedger()` can hold it.
 * @module
 */
import { BaseLedger } from '../ledger/base.js';
import type { DeferredLedger } from '../ledger/deferred.js';
import type { BudgetGate } from './budget-gate.js';

export function lateGate(ledger: DeferredLedger, create: (ledger: BaseLedger) => BudgetGate): BudgetGate {
  let gate: BudgetGate | undefined;
  ledger.whenOpen((open) => {
    if (open instanceof BaseLedger) gate = create(open);
  });
  // Whatever the gate's members are, each is the real gate's, bound to it, once there is one.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy({} as BudgetGate, {
    get(_target, name) {
      if (gate === undefined) {
        if (name === 'active') return false;
        // Nothing to give back before the ledger opens: no lease was taken.
        if (name === 'close') return () => Promise.resolve();
        return undefined;
      }
      const value: unknown = Reflect.get(gate, name, gate);
      if (typeof value !== 'function') return value;
      let method = bound.get(name);
      if (method === undefined) {
        method = value.bind(gate);
        bound.set(name, method);
      }
      return method;
    },
  });
}
