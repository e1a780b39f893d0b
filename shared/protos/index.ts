/**
 * Where the package's .proto files are (relative to this module, so the same in a checkout and
 * in an installed package) and how they are loaded, for servers and clients alike.
 */
export { PROTOS_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS, protoPath, loadPackage } from './files.js';
export { messageCodec } from './codec.js';
export type { MessageCodec } from './codec.js';
