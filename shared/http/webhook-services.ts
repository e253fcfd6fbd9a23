/**
 * The webhook function's services. A provider delivery needs only the intake queue; a Jira approval also needs
 * the table, whose SDK packages and wiring `ready()` loads first. A cold start for a delivery therefore never
 * initialises the DynamoDB and SNS clients' packages.
 */
import { servicesOver } from './services';

export const appServices = servicesOver('webhook', async () => ({ intakeDeps: (await import('../intake/deps')).intakeDeps }));
