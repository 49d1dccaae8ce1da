'use strict';
// The compiled addon, with what it was built against. Throws (MODULE_NOT_FOUND or a dlopen error) when it was not built;
// cover catches that and runs without the torch backend.
const path = require('path');
const addon = require('./build/cover_torch.node');
let config = null;
try {
  config = require(path.join(__dirname, 'build', 'config.json'));
} catch {
  config = null;
}
module.exports = Object.assign(Object.create(null), addon, { config });
