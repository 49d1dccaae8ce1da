'use strict';
// The compiled addon. Throws (MODULE_NOT_FOUND or a dlopen error) when it was not built; cover catches that and decodes
// with an ffmpeg process per clip instead.
module.exports = require('./build/Release/cover_av.node');
