/** Types of the values test/setup/emulators.ts provides to tests through vitest's inject(). */
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    sqsEndpoint: string;
    /** Same server as sqsEndpoint: fauxqs serves both protocols on one port. */
    snsEndpoint: string;
    dynamodbEndpoint: string;
  }
}
