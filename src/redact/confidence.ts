/**
 * How sure a finding is: `high` for a key, `low` for a match of a key's shape that is most likely
 * not one. Only the scanner asks (`findSecrets`); the redactor replaces every match whatever its
 * confidence, since masking a placeholder in a log costs nothing and missing a key costs a
 * rotation.
 * @module
 */

/** `high`: a key. `low`: a key's shape that looks like a placeholder, a fixture or code. */
export type Confidence = 'high' | 'low';
