// Vite's `?raw` suffix: the file's text (templates and messages the login preview reuses).
declare module '*.hbs?raw' {
  const text: string;
  export default text;
}
declare module '*.json?raw' {
  const text: string;
  export default text;
}
