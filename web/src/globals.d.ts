declare const __WASM_FILES__: Record<string, string>;
declare const __DEV__: boolean;
declare module "*.css";
