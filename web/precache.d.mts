export declare const NOT_PRECACHED: RegExp[];
export declare function precacheFiles(relativePaths: string[]): string[];
export declare function precacheManifest(relativePaths: string[], read: (relativePath: string) => Uint8Array | string): { version: string; files: string[] };
