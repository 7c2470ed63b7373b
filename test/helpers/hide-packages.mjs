// `node --import ./hide-packages.mjs`: the packages named in KEYCARD_TEST_HIDE_PACKAGES (comma
// separated) cannot be found, as in a project that did not install them. Node's own error is
// thrown, so the code under test sees exactly what a missing package gives it.
import { register } from 'node:module';

const hidden = (process.env.KEYCARD_TEST_HIDE_PACKAGES ?? '').split(',').filter(Boolean);
register('./hide-packages-hooks.mjs', import.meta.url, { data: { hidden } });
