// passkey.js is imported `with { type: "file" }`: its default export is the file path.
declare const path: string;
export default path;
