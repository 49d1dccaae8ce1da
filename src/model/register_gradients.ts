// tfjs-core's CommonJS build registers no gradient functions, and its ESM register_all_gradients cannot be loaded by
// Node (extensionless imports). The @tensorflow/tfjs node bundle registers all of them into tfjs-core's global registry
// (one tfjs-core 4.22.0 is shared, deduplicated by npm), so it is loaded once, for that side effect only.
import '@tensorflow/tfjs';
