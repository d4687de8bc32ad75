// @opensergo/cli: `opensergo validate` and `opensergo explain` (the `opensergo` bin).
export { main } from './main.js';
export type { Output } from './output.js';
