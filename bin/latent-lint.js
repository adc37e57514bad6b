#!/usr/bin/env node
'use strict';
// The CLI is bundled into dist/cli.js by `npm run build` (run by `npm ci`).
const { main } = require('../dist/server/cli.js');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
