// Vite asset imports: the module's default export is the emitted file's URL.
declare module '*?url' {
  const url: string;
  export default url;
}
