// Where each process of the demo listens, and what each knows of the others (a static list:
// the demo needs no Redis; see docs/routing.md for the Redis instance registry).
const port = (name, fallback) => Number(process.env[name] ?? fallback);

export const PORTS = {
  gateway: port('GATEWAY_PORT', 4000),
  serviceBase: port('SERVICE_BASE_PORT', 4101),
  serviceGray: port('SERVICE_GRAY_PORT', 4102),
  backend: port('BACKEND_PORT', 4201),
};

const at = (p) => `http://127.0.0.1:${p}`;

/** The instances of each app, as the callers' discovery. */
export const INSTANCES = {
  service: [{ url: at(PORTS.serviceBase) }, { url: at(PORTS.serviceGray), labels: ['gray'] }],
  backend: [{ url: at(PORTS.backend) }],
};

export const RULES_FILE = new URL('./opensergo.yaml', import.meta.url).pathname;
