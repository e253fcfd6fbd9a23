/** Entry point of `npm start` (see local/stack.ts). */
export {};
// Lambda runs Node 22; on this Node 20 machine every AWS SDK client would print a support warning, which is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('./stack');
await main();
