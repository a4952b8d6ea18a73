/** Child entry: a client worker, answering the benchmarks' calls (see clients/). */
import { httpHandlers } from './clients/http.ts';
import { loadHandlers } from './clients/load.ts';
import { pushHandlers } from './clients/push.ts';
import { watchHandlers } from './clients/watch.ts';
import { serveCalls } from './processes.ts';

serveCalls({ ...pushHandlers, ...watchHandlers, ...httpHandlers, ...loadHandlers });
