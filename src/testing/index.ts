/**
 * `keycard/testing`: provider simulators for tests, demos and benchmarks. A real HTTP server on
 * 127.0.0.1 speaks each provider's wire format, so the official SDKs run unchanged over real HTTP,
 * with keys that can be revoked, faults on demand, and a tally of every token served.
 * @module
 */
export {
  type FailNextOptions,
  type SimulatedRequest,
  type SimulatedUsage,
  type Simulator,
  type SimulatorCounts,
  type SimulatorFault,
  type SimulatorOptions,
  type SimulatorTally,
  type SimulatorTallyRow,
  startSimulator,
} from './simulator.js';
