/**
 * Every service the API's routes use, wired from the start: the API function's (functions/api.ts), and the local
 * stack's, tests' and benchmarks', which serve the API and the webhooks on one server (app.ts).
 */
import { governanceDeps } from '../governance';
import { intakeDeps, planLookups } from '../runtime';
import { servicesOver } from './services';

export const apiServices = servicesOver('api', { intakeDeps, planLookups, governanceDeps });
