// Fixtures that live in the repository (test/fixtures/), so that a plain clone runs every test.
import * as path from 'path';

const FIXTURES = path.resolve(__dirname, '../fixtures');

/** The reference PyTorch TimeSformer's weights, inputs and outputs (test/fixtures/timesformer-parity/README.md). */
export const PARITY_FIXTURE = path.join(FIXTURES, 'timesformer-parity/tiny-a');

/** The published accuracy tables that cover prints against, copied from the research spec's §3.0. */
export const PUBLISHED_TABLES = path.join(FIXTURES, 'published-tables.md');
