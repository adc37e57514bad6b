/** process.env without what npm or the user set for onnxruntime-node's install (tests run under `npm test`). */
export function cleanEnvForTest(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^npm_/i.test(key) || /^ONNXRUNTIME_NODE_INSTALL/.test(key)) continue;
    env[key] = value;
  }
  return env;
}
