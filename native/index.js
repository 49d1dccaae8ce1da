'use strict';
// The compiled addon. Throws (MODULE_NOT_FOUND or a dlopen error) when it was not built; cover catches that.
module.exports = require('./build/Release/cover_native.node');
